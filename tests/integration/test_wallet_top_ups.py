"""Threshold top-ups and credit invoices through the real pipeline (tests/fixtures/wallet_top_ups).

One `billing run` through 2024-04-01. Every subscription invoice is EUR 40.00 + 25 % tax =
5000 cents (Feb 1, Mar 1, Apr 1), paid from the customer's wallet after tax. Numbers are
worked by hand in each test. Lago: Wallets::ThresholdTopUpService (a consumption leaving
the balance at or below threshold_credits tops it up), RecurringTransactionRule
(#compute_paid_credits: target - balance), WalletTransactions::CreateFromParamsService
(paid credits floored to 5 decimals), Invoices::PaidCreditService (an untaxed credit
invoice per purchase, finalized at once), Invoices::PrepaidCreditJob (with
invoice_requires_successful_payment, bought credits count once their invoice is paid).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import copy_fixture, run_billing

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def top_ups(tmp_path_factory):
    root = tmp_path_factory.mktemp("wallet_top_ups")
    data_dir = copy_fixture("wallet_top_ups", root)
    run = run_billing(data_dir, root / "warehouse.duckdb", through="2024-04-01")
    assert run.returncode == 0, run.stderr[-4000:]
    return run


def _invoices(run, customer: str) -> list[tuple[str, str, str, int, int, int, int]]:
    """(number, type, issuing date, fees, taxes, prepaid credits, total) in number order."""
    return [
        (number, kind, str(day), fees, taxes, prepaid, total)
        for number, kind, day, fees, taxes, prepaid, total in run.query(
            """
            select number, invoice_type, issuing_date, fees_amount_cents, taxes_amount_cents,
                   prepaid_credit_amount_cents, total_amount_cents
            from billing.invoices where external_customer_id = ? order by number
            """,
            [customer],
        )
    ]


def _inbounds(run, customer: str) -> list[tuple[str, str, Decimal, int]]:
    """(created_at, status, credits, amount_cents) of the wallet's inbound movements."""
    return [
        (str(at), status, credits, cents)
        for at, status, credits, cents in run.query(
            """
            select created_at, status, credits, amount_cents from billing.wallet_transactions
            where external_customer_id = ? and transaction_type = 'inbound'
            order by created_at, status
            """,
            [customer],
        )
    ]


def test_a_fixed_threshold_rule_tops_up_when_an_invoice_leaves_the_balance_at_or_below_it(top_ups):
    # 120 granted credits at EUR 1 = 12000 cents. Feb 1 takes 5000: 7000 = 70 credits > 30, no
    # top-up. Mar 1 takes 5000: 2000 = 20 credits <= 30: +50 paid (5000) +10 granted (1000) =
    # 8000. Mar 20 buys 25 (2500): 10500. Apr 1 takes 5000: 5500 = 55 credits > 30, no top-up.
    assert _inbounds(top_ups, "cu_fixed") == [
        ("2024-01-01 00:00:00", "granted", Decimal("120"), 12000),
        ("2024-03-01 00:00:00", "granted", Decimal("10"), 1000),
        ("2024-03-01 00:00:00", "purchased", Decimal("50"), 5000),
        ("2024-03-20 08:00:00", "purchased", Decimal("25"), 2500),
    ]
    # the top-up's paid credits are billed on an untaxed credit invoice made just after the
    # invoice that triggered it, numbered next in the customer's sequence
    assert _invoices(top_ups, "cu_fixed") == [
        ("WTU-003-001", "subscription", "2024-02-01", 4000, 1000, 5000, 0),
        ("WTU-003-002", "subscription", "2024-03-01", 4000, 1000, 5000, 0),
        ("WTU-003-003", "credit", "2024-03-01", 5000, 0, 0, 5000),
        ("WTU-003-004", "credit", "2024-03-20", 2500, 0, 0, 2500),
        ("WTU-003-005", "subscription", "2024-04-01", 4000, 1000, 5000, 0),
    ]


def test_a_target_threshold_rule_buys_credits_up_to_the_target_floored_to_five_decimals(top_ups):
    # 300 paid credits at EUR 0.30 = 9000 cents, bought Jan 10 (a credit invoice). Feb 1 takes
    # 5000: 4000 cents = 133.33 credits > 90. Mar 1 takes the 4000 left (total 1000): 0 credits
    # <= 90, buy 250 - 0 = 250 credits = 7500 cents. Apr 1 takes 5000: 2500 cents =
    # 83.333333333333 credits <= 90, buy 250 - 83.333333333333 = 166.666666666667, floored
    # to 166.66666 credits x 0.30 = 49.999998 EUR -> 5000 cents.
    assert _inbounds(top_ups, "cu_target") == [
        ("2024-01-10 09:00:00", "purchased", Decimal("300"), 9000),
        ("2024-03-01 00:00:00", "purchased", Decimal("250"), 7500),
        ("2024-04-01 00:00:00", "purchased", Decimal("166.66666"), 5000),
    ]
    assert _invoices(top_ups, "cu_target") == [
        ("WTU-001-001", "credit", "2024-01-10", 9000, 0, 0, 9000),
        ("WTU-001-002", "subscription", "2024-02-01", 4000, 1000, 5000, 0),
        ("WTU-001-003", "subscription", "2024-03-01", 4000, 1000, 4000, 1000),
        ("WTU-001-004", "credit", "2024-03-01", 7500, 0, 0, 7500),
        ("WTU-001-005", "subscription", "2024-04-01", 4000, 1000, 5000, 0),
        ("WTU-001-006", "credit", "2024-04-01", 5000, 0, 0, 5000),
    ]


def test_paid_credits_that_require_a_successful_payment_count_once_their_invoice_is_paid(top_ups):
    # 100 bought credits (10000 cents) on Jan 15; their credit invoice WTU-002-001 is paid Feb 15
    # 10:00 (payment_status_updates). Feb 1 finds nothing usable: total 5000. Mar 1 and Apr 1
    # take 5000 each.
    assert _inbounds(top_ups, "cu_gated") == [("2024-02-15 10:00:00", "purchased", Decimal("100"), 10000)]
    assert _invoices(top_ups, "cu_gated") == [
        ("WTU-002-001", "credit", "2024-01-15", 10000, 0, 0, 10000),
        ("WTU-002-002", "subscription", "2024-02-01", 4000, 1000, 0, 5000),
        ("WTU-002-003", "subscription", "2024-03-01", 4000, 1000, 5000, 0),
        ("WTU-002-004", "subscription", "2024-04-01", 4000, 1000, 5000, 0),
    ]
    ((status,),) = top_ups.query("select payment_status from billing.invoices where number = 'WTU-002-001'")
    assert status == "succeeded"


def test_an_interval_target_rule_buys_credits_up_to_the_target_on_each_anniversary(top_ups):
    # 35.5 free credits at EUR 1 (3550 cents), monthly from the wallet's creation (Jan 1) up to
    # 80 credits. Feb 1 00:00, before the invoice of that instant: buy 80 - 35.5 = 44.5
    # credits (4450), 8000; the invoice takes 5000: 3000 = 30 credits. Mar 1 and Apr 1: buy
    # 80 - 30 = 50 credits (5000) each time, then the invoice takes 5000.
    assert _inbounds(top_ups, "cu_interval") == [
        ("2024-01-01 00:00:00", "granted", Decimal("35.5"), 3550),
        ("2024-02-01 00:00:00", "purchased", Decimal("44.5"), 4450),
        ("2024-03-01 00:00:00", "purchased", Decimal("50"), 5000),
        ("2024-04-01 00:00:00", "purchased", Decimal("50"), 5000),
    ]
    # each purchase has its credit invoice, numbered before the invoice it paid
    assert _invoices(top_ups, "cu_interval") == [
        ("WTU-004-001", "credit", "2024-02-01", 4450, 0, 0, 4450),
        ("WTU-004-002", "subscription", "2024-02-01", 4000, 1000, 5000, 0),
        ("WTU-004-003", "credit", "2024-03-01", 5000, 0, 0, 5000),
        ("WTU-004-004", "subscription", "2024-03-01", 4000, 1000, 5000, 0),
        ("WTU-004-005", "credit", "2024-04-01", 5000, 0, 0, 5000),
        ("WTU-004-006", "subscription", "2024-04-01", 4000, 1000, 5000, 0),
    ]


def test_a_credit_invoice_has_one_untaxed_credit_fee_finalized_at_once(top_ups):
    rows = top_ups.query(
        """
        select invoices.number, invoices.status, invoices.payment_status, fees.fee_type, fees.code,
               fees.invoice_display_name, fees.units, fees.precise_unit_amount, fees.amount_cents,
               fees.taxes_amount_cents, invoices.coupons_amount_cents, invoices.credit_notes_amount_cents
        from billing.invoices
        inner join billing.fees on invoices.invoice_id = fees.invoice_id
        where invoices.invoice_type = 'credit' and invoices.external_customer_id = 'cu_target'
        order by invoices.number
        """
    )
    assert rows == [
        ("WTU-001-001", "finalized", "pending", "credit", "main", "Target credits",
         Decimal("300"), Decimal("0.3"), 9000, 0, 0, 0),
        ("WTU-001-004", "finalized", "pending", "credit", "main", "Target credits",
         Decimal("250"), Decimal("0.3"), 7500, 0, 0, 0),
        ("WTU-001-006", "finalized", "pending", "credit", "main", "Target credits",
         Decimal("166.66666"), Decimal("0.3"), 5000, 0, 0, 0),
    ]  # fmt: skip


def test_threshold_rules_are_no_longer_reported_as_unsupported(top_ups):
    # assert_catalog_uses_only_supported_features warned about every threshold and target rule
    # (the fixture has both, and an interval target rule)
    assert "WARN=0" in top_ups.stdout + top_ups.stderr


def test_a_credit_invoice_is_rendered_as_a_purchase_of_credits(top_ups):
    html = (top_ups.warehouse.parent / "invoices" / "WTU-001-006.html").read_text()
    assert "Prepaid credits purchase" in html
    assert "166.66666" in html
    assert (top_ups.warehouse.parent / "invoices" / "WTU-001-006.pdf").stat().st_size > 0
