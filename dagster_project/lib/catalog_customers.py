"""Reading customers and what belongs to them (subscriptions, applied coupons, wallets,
wallet transactions, one-off invoices) into raw rows, field by field."""

from __future__ import annotations

from dagster_project.lib.catalog_kinds import (
    ADDRESS,
    LAGO_READ_ONLY,
    WALLET_FEE_TYPES,
    add_tax_assignments,
    as_billing_time,
    as_credit_note,
    as_credit_note_reason,
    as_frequency,
    as_payment_provider,
    as_payment_status,
    as_rule_interval,
    as_rule_method,
    as_rule_trigger,
    configured,
)
from dagster_project.lib.catalog_nodes import Node, tax_codes
from dagster_project.lib.catalog_records import Parsed
from dagster_project.lib.catalog_values import (
    as_bool,
    as_cents,
    as_currency,
    as_date,
    as_non_negative_decimal,
    as_non_negative_int,
    as_str,
    as_str_list,
    as_timestamp,
    as_timezone,
    json_text,
    show,
)


def parse_customer(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        (
            "external_id",
            "name",
            "email",
            "currency",
            "timezone",
            "net_payment_term",
            "tax_identification_number",
            "tax_codes",
            "taxes",
            *ADDRESS,
            "billing_configuration",
            "invoice_grace_period",
            "document_locale",
            "payment_provider",
            "provider_customer_id",
            "metadata",
        ),
        LAGO_READ_ONLY
        | {
            "sequential_id",
            "slug",
            "url",
            "phone",
            "logo_url",
            "legal_name",
            "legal_number",
            "applicable_timezone",
            "customer_type",
            "firstname",
            "lastname",
            "account_type",
            "billing_entity_code",
            "shipping_address",
            "integration_customers",
            "finalize_zero_amount_invoice",
            "skip_invoice_custom_sections",
            "lago_billing_entity_id",
            "applicable_invoice_custom_sections",
            "exclude_from_dunning_campaign",
            "applied_dunning_campaign",
            "last_dunning_campaign_attempt",
            "last_dunning_campaign_attempt_at",
            "net_payment_term_days",
        },
    )
    config = node.child("billing_configuration")
    if config is not None:
        config.check_keys(
            ("invoice_grace_period", "document_locale", "payment_provider", "provider_customer_id"),
            {
                "vat_rate",
                "payment_provider_code",
                "sync",
                "sync_with_provider",
                "provider_payment_methods",
            },
        )
    external_id = node.get("external_id", as_str, required=True)
    values = {
        name: node.get(name, as_str)
        for name in (*ADDRESS, "name", "email", "tax_identification_number")
    }
    metadata = node.data.get("metadata")
    if metadata is not None and not isinstance(metadata, list | dict):
        node.error(
            "metadata", f"expected a list of {{key, value}} or a mapping, got {show(metadata)}"
        )
        metadata = None
    values |= {
        "external_id": external_id,
        "currency": node.get("currency", as_currency),
        "timezone": node.get("timezone", as_timezone),
        "net_payment_term": node.get("net_payment_term", as_non_negative_int),
        "invoice_grace_period": configured(
            node, config, "invoice_grace_period", as_non_negative_int
        ),
        "document_locale": configured(node, config, "document_locale", as_str),
        "payment_provider": configured(node, config, "payment_provider", as_payment_provider),
        "provider_customer_id": configured(node, config, "provider_customer_id", as_str),
        "metadata": json_text(metadata) if metadata is not None else None,
    }
    parsed.add("customers", node, values, key=(external_id,))
    add_tax_assignments(node, parsed, "customer", external_id)


def parse_subscription(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        (
            "external_id",
            "external_customer_id",
            "plan_code",
            "name",
            "created_at",
            "subscription_at",
            "ending_at",
            "terminated_at",
            "on_termination_credit_note",
            "billing_time",
            "plan_overrides",
        ),
        LAGO_READ_ONLY
        | {
            "lago_customer_id",
            "plan_amount_cents",
            "plan_amount_currency",
            "status",
            "started_at",
            "trial_ended_at",
            "canceled_at",
            "previous_plan_code",
            "next_plan_code",
            "downgrade_plan_date",
            "current_billing_period_started_at",
            "current_billing_period_ending_at",
            "on_termination_invoice",
            "progressive_billing_disabled",
            "consolidate_invoice",
            "payment_method",
            "plan",
            "customer",
        },
    )
    external_id = node.get("external_id", as_str, required=True)
    customer = node.get("external_customer_id", as_str, required=True)
    plan_code = node.get("plan_code", as_str, required=True)
    subscription_at = node.get("subscription_at", as_timestamp)
    created_at = node.get("created_at", as_timestamp)
    if created_at is None and not node.present("created_at"):
        if subscription_at is None and not node.present("subscription_at"):
            node.error("created_at", "required field is missing (or give subscription_at)")
        created_at = subscription_at  # requested when it starts
    ending_at = node.get("ending_at", as_timestamp)
    start = subscription_at or created_at
    if ending_at is not None and start is not None and ending_at <= start:
        node.error("ending_at", f"must be after the subscription starts ({start.isoformat()})")
    overrides = _plan_overrides(node)
    values = {
        "external_id": external_id,
        "external_customer_id": customer,
        "plan_code": plan_code,
        "name": node.get("name", as_str),
        "created_at": created_at,
        "subscription_at": subscription_at or created_at,
        "ending_at": ending_at,
        "terminated_at": node.get("terminated_at", as_timestamp),
        "on_termination_credit_note": node.get("on_termination_credit_note", as_credit_note),
        "billing_time": node.get("billing_time", as_billing_time) or "calendar",
        "plan_overrides": json_text(node.data.get("plan_overrides") or {}),
        "plan_tax_codes": None if overrides["tax_codes"] is None else json_text(overrides["tax_codes"]),
    }
    if customer is not None:
        node.ref("external_customer_id", "customers", (customer,), f"unknown customer '{customer}'")
    if plan_code is not None:
        node.ref("plan_code", "plans", (plan_code,), f"unknown plan '{plan_code}'")
    parsed.add(
        "subscriptions",
        node,
        values,
        key=(external_id, created_at),
        currency_override=overrides.get("amount_currency"),
        charge_overrides=overrides["charges"],
    )


def _plan_overrides(node: Node) -> dict:
    """Plan fields replaced for one subscription: stored verbatim, their simple fields checked.
    Overridden charges are read here and derived from the plan's charges by the rules
    (catalog_rules._derive_overridden_charges), which know every plan."""
    overrides = node.child("plan_overrides")
    if overrides is None:
        return {"charges": [], "tax_codes": None}
    overrides.check_keys(
        (
            "name",
            "invoice_display_name",
            "description",
            "amount_cents",
            "amount_currency",
            "trial_period",
            "tax_codes",
            "taxes",
            "charges",
            "minimum_commitment",
            "usage_thresholds",
        ),
    )
    overrides.get("amount_cents", as_cents)
    overrides.get("trial_period", as_non_negative_decimal)
    codes = [code for _, code in tax_codes(overrides)]
    taxed = overrides.present("tax_codes") or overrides.present("taxes")
    return {
        "amount_currency": overrides.get("amount_currency", as_currency),
        "tax_codes": codes if taxed else None,
        "charges": _charge_overrides(overrides),
    }


def _charge_overrides(overrides: Node) -> list[dict]:
    """`plan_overrides.charges`: each names a charge of the plan by `id` and replaces its
    properties, filters, minimum, invoice name or taxes (Lago Charges::OverrideService)."""
    found: list[dict] = []
    seen: set[str] = set()
    for _, charge in overrides.children("charges"):
        charge.check_keys(
            (
                "id",
                "invoice_display_name",
                "min_amount_cents",
                "properties",
                "filters",
                "tax_codes",
                "taxes",
                "charge_model",
            ),
            LAGO_READ_ONLY | {"billable_metric_id", "billable_metric_code", "lago_parent_id"},
        )
        charge_id = charge.get("id", as_str, required=True)
        if charge_id is None:
            continue
        if charge_id in seen:
            charge.error("id", f"charge '{charge_id}' is overridden twice")
            continue
        seen.add(charge_id)
        codes = [code for _, code in tax_codes(charge)]
        found.append(
            {
                "node": charge,
                "id": charge_id,
                "min_amount_cents": charge.get("min_amount_cents", as_cents),
                "invoice_display_name": charge.get("invoice_display_name", as_str),
                "tax_codes": codes
                if charge.present("tax_codes") or charge.present("taxes")
                else None,
            }
        )
    return found


def parse_applied_coupon(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        (
            "external_customer_id",
            "coupon_code",
            "created_at",
            "amount_cents",
            "amount_currency",
            "percentage_rate",
            "frequency",
            "frequency_duration",
        ),
        LAGO_READ_ONLY
        | {
            "lago_coupon_id",
            "lago_customer_id",
            "status",
            "amount_cents_remaining",
            "frequency_duration_remaining",
            "expiration_at",
            "terminated_at",
            "credits",
            "expiration_date",
            "amount_currency_remaining",
        },
    )
    customer = node.get("external_customer_id", as_str, required=True)
    coupon = node.get("coupon_code", as_str, required=True)
    created_at = node.get("created_at", as_timestamp, required=True)
    values = {
        "external_customer_id": customer,
        "coupon_code": coupon,
        "created_at": created_at,
        "amount_cents": node.get("amount_cents", as_cents),
        "amount_currency": node.get("amount_currency", as_currency),
        "percentage_rate": node.get("percentage_rate", as_non_negative_decimal),
        "frequency": node.get("frequency", as_frequency),
        "frequency_duration": node.get("frequency_duration", as_non_negative_int),
    }
    if customer is not None:
        node.ref("external_customer_id", "customers", (customer,), f"unknown customer '{customer}'")
    if coupon is not None:
        node.ref("coupon_code", "coupons", (coupon,), f"unknown coupon '{coupon}'")
    parsed.add("applied_coupons", node, values, key=(customer, coupon, created_at))


def parse_wallet(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        (
            "external_customer_id",
            "code",
            "name",
            "currency",
            "rate_amount",
            "priority",
            "applies_to",
            "created_at",
            "expiration_at",
            "granted_credits",
            "paid_credits",
            "invoice_requires_successful_payment",
            "invoice_require_successful_payment",
            "recurring_transaction_rules",
        ),
        LAGO_READ_ONLY
        | {
            "lago_customer_id",
            "status",
            "credits_balance",
            "credits_ongoing_balance",
            "credits_ongoing_usage_balance",
            "balance_cents",
            "ongoing_balance_cents",
            "ongoing_usage_balance_cents",
            "consumed_credits",
            "consumed_amount_cents",
            "last_balance_sync_at",
            "last_consumed_credit_at",
            "terminated_at",
        },
    )
    customer = node.get("external_customer_id", as_str, required=True)
    code = node.get("code", as_str, required=True)
    applies_to = node.child("applies_to")
    fee_types: list[str] = []
    metric_codes: list[str] = []
    if applies_to is not None:
        applies_to.check_keys(("fee_types", "billable_metric_codes"))
        fee_types = applies_to.get("fee_types", as_str_list) or []
        for position, fee_type in enumerate(fee_types):
            if fee_type not in WALLET_FEE_TYPES:
                applies_to.error(
                    f"fee_types[{position}]",
                    f"{show(fee_type)} is not one of: {', '.join(WALLET_FEE_TYPES)}",
                )
        metric_codes = applies_to.get("billable_metric_codes", as_str_list) or []
        for position, metric in enumerate(metric_codes):
            applies_to.ref(
                f"billable_metric_codes[{position}]",
                "billable_metrics",
                (metric,),
                f"unknown billable metric '{metric}'",
            )
    values = {
        "external_customer_id": customer,
        "code": code,
        "name": node.get("name", as_str),
        "currency": node.get("currency", as_currency),
        "rate_amount": node.get("rate_amount", as_non_negative_decimal),
        "priority": node.get("priority", as_non_negative_int),
        "applies_to_fee_types": json_text(fee_types),
        "applies_to_billable_metric_codes": json_text(metric_codes),
        "created_at": node.get("created_at", as_timestamp),
        "expiration_at": node.get("expiration_at", as_timestamp),
        "granted_credits": node.get("granted_credits", as_non_negative_decimal),
        "paid_credits": node.get("paid_credits", as_non_negative_decimal),
        "invoice_requires_successful_payment": node.get(
            "invoice_requires_successful_payment",
            as_bool,
            aliases=("invoice_require_successful_payment",),
        ),
    }
    if customer is not None:
        node.ref("external_customer_id", "customers", (customer,), f"unknown customer '{customer}'")
    parsed.add("wallets", node, values, key=(customer, code))
    for position, rule in node.children("recurring_transaction_rules"):
        _parse_recurring_rule(rule, parsed, customer, code, position)


def _parse_recurring_rule(
    node: Node, parsed: Parsed, customer: str | None, wallet_code: str | None, position: int
) -> None:
    """One automatic top-up rule of a wallet (Lago's recurring_transaction_rules)."""
    node.check_keys(
        (
            "trigger",
            "interval",
            "method",
            "paid_credits",
            "granted_credits",
            "threshold_credits",
            "target_ongoing_balance",
            "started_at",
            "expiration_at",
        ),
        LAGO_READ_ONLY
        | {"lago_id", "status", "invoice_requires_successful_payment", "transaction_metadata", "transaction_name"},
    )
    trigger = node.get("trigger", as_rule_trigger, required=True)
    interval = node.get("interval", as_rule_interval)
    if trigger == "interval" and interval is None and not node.has_issue("interval"):
        node.error("interval", "required when trigger is interval")
    threshold = node.get("threshold_credits", as_non_negative_decimal)
    if trigger == "threshold" and threshold is None and not node.has_issue("threshold_credits"):
        node.error("threshold_credits", "required when trigger is threshold")
    values = {
        "external_customer_id": customer,
        "wallet_code": wallet_code,
        "position": position,
        "trigger": trigger,
        "interval": interval,
        "method": node.get("method", as_rule_method) or "fixed",
        "paid_credits": node.get("paid_credits", as_non_negative_decimal),
        "granted_credits": node.get("granted_credits", as_non_negative_decimal),
        "threshold_credits": threshold,
        "target_ongoing_balance": node.get("target_ongoing_balance", as_non_negative_decimal),
        "started_at": node.get("started_at", as_timestamp),
        "expiration_at": node.get("expiration_at", as_timestamp),
    }
    parsed.add("wallet_recurring_rules", node, values)


def parse_wallet_transaction(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        (
            "transaction_id",
            "external_customer_id",
            "wallet_code",
            "created_at",
            "paid_credits",
            "granted_credits",
            "voided_credits",
        ),
        LAGO_READ_ONLY,
    )
    transaction_id = node.get("transaction_id", as_str, required=True)
    customer = node.get("external_customer_id", as_str, required=True)
    wallet = node.get("wallet_code", as_str, required=True)
    values = {
        "transaction_id": transaction_id,
        "external_customer_id": customer,
        "wallet_code": wallet,
        "created_at": node.get("created_at", as_timestamp),
        "paid_credits": node.get("paid_credits", as_non_negative_decimal),
        "granted_credits": node.get("granted_credits", as_non_negative_decimal),
        "voided_credits": node.get("voided_credits", as_non_negative_decimal),
    }
    if customer is not None and wallet is not None:
        node.ref(
            "wallet_code",
            "wallets",
            (customer, wallet),
            f"unknown wallet '{wallet}' of customer '{customer}'",
        )
    parsed.add("wallet_transactions", node, values, key=(transaction_id,))


def parse_one_off_invoice(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        ("external_id", "external_customer_id", "issuing_date", "currency", "fees"), LAGO_READ_ONLY
    )
    external_id = node.get("external_id", as_str, required=True)
    customer = node.get("external_customer_id", as_str, required=True)
    values = {
        "external_id": external_id,
        "external_customer_id": customer,
        "issuing_date": node.get("issuing_date", as_date, required=True),
        "currency": node.get("currency", as_currency),
    }
    if customer is not None:
        node.ref("external_customer_id", "customers", (customer,), f"unknown customer '{customer}'")
    fees = node.children("fees")
    if not fees and not node.has_issue("fees"):
        node.error("fees", "a one-off invoice needs at least one fee")
    for position, fee in fees:
        fee.check_keys(("add_on_code", "units", "unit_amount_cents", "description"))
        add_on = fee.get("add_on_code", as_str, required=True)
        if add_on is not None:
            fee.ref("add_on_code", "add_ons", (add_on,), f"unknown add-on '{add_on}'")
        parsed.add(
            "one_off_invoice_fees",
            fee,
            {
                "one_off_invoice_external_id": external_id,
                "position": position,
                "add_on_code": add_on,
                "units": fee.get("units", as_non_negative_decimal),
                "unit_amount_cents": fee.get("unit_amount_cents", as_non_negative_decimal),
                "description": fee.get("description", as_str),
            },
        )
    parsed.add("one_off_invoices", node, values, key=(external_id,))


def parse_credit_note(node: Node, parsed: Parsed) -> None:
    """A manual credit note on an invoice billing produces: named by `invoice_number` or
    `invoice_id` (exactly one), with its credit part (consumed by the customer's next
    finalized invoices) and refund part, and optionally the fee lines it credits."""
    node.check_keys(
        (
            "external_id",
            "invoice_number",
            "invoice_id",
            "reason",
            "credit_amount_cents",
            "refund_amount_cents",
            "items",
            "created_at",
        ),
        LAGO_READ_ONLY - {"created_at"},
    )
    external_id = node.get("external_id", as_str, required=True)
    invoice_number = node.get("invoice_number", as_str)
    invoice_id = node.get("invoice_id", as_str)
    if invoice_number is not None and invoice_id is not None:
        node.error("invoice_id", "give either invoice_number or invoice_id, not both")
    elif (
        invoice_number is None
        and invoice_id is None
        and not node.has_issue("invoice_number")
        and not node.has_issue("invoice_id")
    ):
        node.error("invoice_number", "required field is missing (or give invoice_id)")
    credit = node.get("credit_amount_cents", as_cents)
    refund = node.get("refund_amount_cents", as_cents)
    if (
        not (credit or refund)
        and not node.has_issue("credit_amount_cents")
        and not node.has_issue("refund_amount_cents")
    ):
        node.error(
            "credit_amount_cents",
            "a credit note needs a credit_amount_cents or refund_amount_cents above 0",
        )
    values = {
        "external_id": external_id,
        "invoice_number": invoice_number,
        "invoice_id": invoice_id,
        "reason": node.get("reason", as_credit_note_reason) or "other",
        "credit_amount_cents": credit or 0,
        "refund_amount_cents": refund or 0,
        "created_at": node.get("created_at", as_timestamp, required=True),
    }
    for position, item in node.children("items"):
        item.check_keys(("fee_id", "amount_cents"))
        parsed.add(
            "credit_note_items",
            item,
            {
                "credit_note_external_id": external_id,
                "position": position,
                "fee_id": item.get("fee_id", as_str, required=True),
                "amount_cents": item.get("amount_cents", as_cents, required=True),
            },
        )
    parsed.add("credit_notes", node, values, key=(external_id,))


def parse_payment_status_update(node: Node, parsed: Parsed) -> None:
    """A payment status set by hand on a finalized invoice (Lago's `PUT /invoices/:id`
    with `payment_status`): the invoice is named by its number; which invoice exists is
    only known once billing ran (dbt test assert_payment_status_updates_name_finalized_invoices)."""
    node.check_keys(("invoice_number", "payment_status", "updated_at"))
    number = node.get("invoice_number", as_str, required=True)
    updated_at = node.get("updated_at", as_timestamp, required=True)
    values = {
        "invoice_number": number,
        "payment_status": node.get("payment_status", as_payment_status, required=True),
        "updated_at": updated_at,
    }
    parsed.add("payment_status_updates", node, values, key=(number, updated_at))


def parse_invoice_void(node: Node, parsed: Parsed) -> None:
    """An invoice voided (Lago's `POST /invoices/:id/void`), named by its number; whether it
    may be voided (finalized and unpaid) is only known once billing ran (dbt test
    assert_invoice_voids_name_voidable_invoices)."""
    node.check_keys(("invoice_number", "voided_at", "reason"))
    number = node.get("invoice_number", as_str, required=True)
    values = {
        "invoice_number": number,
        "voided_at": node.get("voided_at", as_timestamp, required=True),
        "reason": node.get("reason", as_str),
    }
    parsed.add("invoice_voids", node, values, key=(number,))
