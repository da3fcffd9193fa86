"""Collection: finalized, unpaid invoices pushed to Stripe, GoCardless and Adyen, exactly once."""

from contextlib import ExitStack

import dagster as dg

from dagster_project.defs.partitions import run_billing_window
from dagster_project.defs.payments.resources import (
    GATEWAYS,
    AdyenResource,
    GoCardlessResource,
    StripeResource,
)
from dagster_project.defs.resources import Warehouse
from dagster_project.lib.payments.candidates import missing_tables, read_candidates
from dagster_project.lib.payments.gateway import Gateway, http_client
from dagster_project.lib.payments.ledger import Ledger
from dagster_project.lib.payments.push import PushEngine, PushOptions
from dagster_project.lib.payments.report import result_counts, skip_reasons, summary_markdown
from dagster_project.lib.payments.retry import RetryPolicy

STATUS_KEY = dg.AssetKey(["payments", "invoice_payment_status"])


class PaymentPushConfig(dg.Config):
    """Per-run knobs of the push. The defaults are production's; tests shrink the waits."""

    allow_live_keys: bool = (
        False  # a live key (sk_live_, live_, an Adyen live URL) is refused unless true
    )
    concurrency: int = 8  # invoices in flight at once (and HTTP connections per provider)
    max_attempts: int = 5  # create requests per payment per run
    invoice_deadline_s: float = 90.0  # all calls of one invoice, waits included
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 20.0
    max_retry_after_s: float = 60.0  # a longer Retry-After leaves the payment to the next run
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    retry_failed_payments: bool = False  # dunning: a new payment (new key) after a failed one
    max_payments_per_invoice: int = 3


@dg.asset(
    key=STATUS_KEY,
    group_name="payments",
    kinds={"duckdb"},
    pool="duckdb",
)
def payment_status_view(duckdb: Warehouse) -> dg.MaterializeResult:
    """Each invoice's payment status, from its latest payment (a view on `payments.payments`:
    invoice_id, payment_status, updated_at). Creates the payment ledger when it is missing,
    so that dbt's `billing.invoices` can left-join this view from the very first run."""
    with duckdb.get_connection() as con:
        Ledger(con).ensure()
        counts = dict(
            con.execute(
                "select payment_status, count(*) from payments.invoice_payment_status group by all"
            ).fetchall()
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(counts.values()),
            **{f"invoices_{k}": v for k, v in counts.items()},
        }
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["payments", "attempts"],
            group_name="payments",
            kinds={"duckdb", "python"},
            deps=[["billing", "invoices"], ["raw", "customers"], STATUS_KEY],
            description="Every call to a payment provider: written before a charge request is "
            "sent and completed after (CONTRACT §3).",
        ),
        dg.AssetSpec(
            key=["payments", "payments"],
            group_name="payments",
            kinds={"duckdb"},
            deps=[["billing", "invoices"], ["raw", "customers"], STATUS_KEY],
            description="One row per payment (idempotency key): its frozen request, state and "
            "provider ids; at most one open payment per invoice.",
        ),
    ],
    pool="duckdb",
    can_subset=False,
)
def payment_push(
    context: dg.AssetExecutionContext,
    config: PaymentPushConfig,
    duckdb: Warehouse,
    stripe: StripeResource,
    gocardless: GoCardlessResource,
    adyen: AdyenResource,
):
    """Pushes every finalized, unpaid invoice issued up to the run's last billing day to its
    customer's payment provider, exactly once: idempotency keys derived from the invoice,
    each charge attempt written ahead in `payments.attempts`, retries only for retryable
    outcomes. Outcomes flow back into `billing.invoices.payment_status`."""
    window = run_billing_window(context)
    providers = {"stripe": stripe, "gocardless": gocardless, "adyen": adyen}
    with ExitStack() as clients:
        gateways, unavailable = _gateways(providers, config, clients, context.log)
        with duckdb.get_connection() as con:
            if missing := missing_tables(con):
                raise dg.Failure(
                    description=f"Cannot push payments: {', '.join(missing)} missing; "
                    "run the billing job first."
                )
            ledger = Ledger(con, context.run_id)
            ledger.ensure()
            candidates = read_candidates(con, window.end_exclusive)
            report = _engine(ledger, gateways, config, context.log).run(candidates)
            updated = ledger.write_through()
            summary = summary_markdown(ledger.run_summary())
            rows = ledger.count_rows()
            attempts = ledger.attempts_this_run()
    counts = result_counts(report)
    context.log.info(
        f"{len(candidates)} invoice(s) to collect, issued before {window.end_exclusive}: "
        + ", ".join(
            f"{name.removeprefix('invoices_')} {count}" for name, count in counts.items() if count
        )
    )
    shared = {
        "summary": dg.MetadataValue.md(summary),
        "providers_skipped": dg.MetadataValue.json(unavailable),
        "providers_halted": dg.MetadataValue.json(report.halted),
    }
    yield dg.MaterializeResult(
        asset_key=["payments", "attempts"],
        metadata={
            "dagster/row_count": rows["attempts"],
            "attempts_this_run": attempts,
            "invoices_considered": len(candidates),
            **counts,
            "skip_reasons": dg.MetadataValue.json(skip_reasons(report)),
            "invoice_statuses_written_through": updated,
            **shared,
        },
    )
    yield dg.MaterializeResult(
        asset_key=["payments", "payments"],
        metadata={"dagster/row_count": rows["payments"], **shared},
    )
    if report.conflicts:
        raise dg.Failure(
            description=f"{len(report.conflicts)} invoice(s) changed under an open payment; nothing was "
            "sent for them. Settle or cancel the open payment first.",
            metadata={"conflicts": dg.MetadataValue.json(report.conflicts)},
        )


def _gateways(
    providers: dict[str, StripeResource | GoCardlessResource | AdyenResource],
    config: PaymentPushConfig,
    clients: ExitStack,
    log: dg.DagsterLogManager,
) -> tuple[dict[str, Gateway], dict[str, str]]:
    """A gateway per provider with credentials (one pooled HTTP client each), and why the
    others are skipped. Live credentials stop the run unless the config allows them."""
    gateways: dict[str, Gateway] = {}
    unavailable: dict[str, str] = {}
    for name, resource in providers.items():
        settings = resource.provider_settings()
        if isinstance(settings, str):
            unavailable[name] = settings
            log.info(f"{name}: {settings}; its invoices are skipped")
            continue
        client = http_client(
            settings, config.concurrency, config.connect_timeout_s, config.read_timeout_s
        )
        gateways[name] = GATEWAYS[name](settings, clients.enter_context(client))
    live = sorted(name for name, gateway in gateways.items() if gateway.is_live())
    if live and not config.allow_live_keys:
        raise dg.Failure(
            description=f"Refusing to push: live credentials for {', '.join(live)}. Set "
            "allow_live_keys: true in the payment_push run config to move real money."
        )
    return gateways, unavailable


def _engine(
    ledger: Ledger,
    gateways: dict[str, Gateway],
    config: PaymentPushConfig,
    log: dg.DagsterLogManager,
) -> PushEngine:
    policy = RetryPolicy(
        max_attempts=config.max_attempts,
        deadline_s=config.invoice_deadline_s,
        backoff_base_s=config.backoff_base_s,
        backoff_cap_s=config.backoff_cap_s,
        max_retry_after_s=config.max_retry_after_s,
    )
    options = PushOptions(
        config.concurrency, config.retry_failed_payments, config.max_payments_per_invoice
    )
    return PushEngine(ledger, gateways, policy, options, warn=log.warning)
