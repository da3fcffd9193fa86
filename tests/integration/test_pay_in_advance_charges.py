"""Pay-in-advance charges through the real pipeline (tests/fixtures/in_advance).

One `billing run` through 2023-04-01. Every number below is Lago's, from
spec/scenarios/pay_in_advance_charges_spec.rb (each example is one customer and plan of the
fixture, its events in February 2023), except where a test says it is worked by hand.
The price of an event is the charge model's price of the bucket's running total with the
event minus its price without it; a sum pays only what lifts the total above its period high.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import copy_fixture, run_billing

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def in_advance(tmp_path_factory):
    root = tmp_path_factory.mktemp("in_advance")
    data_dir = copy_fixture("in_advance", root)
    run = run_billing(data_dir, root / "warehouse.duckdb", through="2023-04-01")
    assert run.returncode == 0, run.stderr[-4000:]
    return run


def _event_fees(run, subscription: str) -> list[tuple[str, Decimal, int, int, bool]]:
    """(issuing date, units, events_count, amount_cents, on an invoice) of the subscription's
    in-advance event fees, in event order."""
    return [
        (str(day), units, count, amount, has_invoice)
        for day, units, count, amount, has_invoice in run.query(
            """
            select issuing_date, units, events_count, amount_cents, invoice_id is not null
            from billing.fees
            where external_subscription_id = ? and fee_type = 'charge' and pay_in_advance
              and events_count = 1 and issuing_date not in ('2023-02-01', '2023-03-01', '2023-04-01')
            order by issuing_date
            """,
            [subscription],
        )
    ]


def test_count_standard_bills_each_event(in_advance):
    # amount 10: each event 1 unit x 10.00 = 1000 cents; invoiceable false: no invoice
    assert _event_fees(in_advance, "s_count") == [
        ("2023-02-15", 1, 1, 1000, False),
        ("2023-02-17", 1, 1, 1000, False),
    ]


def test_unique_count_pays_a_new_value_once(in_advance):
    # amount 12: id_1 added (1200), removed (0 units, 0), added back (1 unit, free: the high
    # is 1 already), id_2 (1200), id_2 again (changes nothing: no fee), id_3 (1200), id_3
    # removed (0)
    assert _event_fees(in_advance, "s_unique") == [
        ("2023-02-15", 1, 1, 1200, False),
        ("2023-02-16", 0, 1, 0, False),
        ("2023-02-17", 1, 1, 0, False),
        ("2023-02-18", 1, 1, 1200, False),
        ("2023-02-20", 1, 1, 1200, False),
        ("2023-02-21", 0, 1, 0, False),
    ]


def test_sum_standard_never_refunds_and_pays_only_above_the_high(in_advance):
    # amount 1: 10 -> 10 units, 1000; -4 -> 0 units, 0; +8 -> total 14, 4 above the high of
    # 10 -> 400
    assert _event_fees(in_advance, "s_sum") == [
        ("2023-02-15", 10, 1, 1000, True),
        ("2023-02-17", 0, 1, 0, True),
        ("2023-02-18", 4, 1, 400, True),
    ]


def test_package_honours_free_units_and_started_packages(in_advance):
    # 100 a package of 2, 3 free: 3 -> 0; total 4 -> 1 package (10000); total 6 -> 2
    # packages, 1 more (10000)
    assert _event_fees(in_advance, "s_package") == [
        ("2023-02-15", 3, 1, 0, False),
        ("2023-02-17", 1, 1, 10000, False),
        ("2023-02-18", 2, 1, 10000, False),
    ]


def test_graduated_charges_the_first_flat_amount_on_the_first_event(in_advance):
    # 0-5 at 0.02 + 0.01 flat, 6+ at 0.01 + 0.01 flat: 3 -> 2 x 3 + 1 = 7 cents;
    # total 4 -> 2 x 1 = 2; total 6 -> 2 x 1 (the 5th unit) + 1 x 1 + 1 flat = 4
    assert _event_fees(in_advance, "s_graduated") == [
        ("2023-02-15", 3, 1, 7, False),
        ("2023-02-17", 1, 1, 2, False),
        ("2023-02-18", 2, 1, 4, False),
    ]


def test_graduated_flat_amount_is_paid_once_even_after_a_negative_first_event(in_advance):
    # By hand, same ranges: -3 first: the high stays 0, whose price is the first range's flat
    # amount (1 cent, paid by the period's first event); +5 lifts the total to 2: 2 x 2 + 1
    # = 5 cents for the high of 2, minus the 1 paid = 4. Total 5, the price of 2 units.
    # (Lago would charge the flat amount again: it prices "without the event" at 0 whenever
    # that total is 0; DECISIONLOG, Pay-in-advance charges.)
    assert _event_fees(in_advance, "s_graduated_negative") == [
        ("2023-02-15", 0, 1, 1, False),
        ("2023-02-16", 2, 1, 4, False),
    ]


def test_percentage_with_free_events(in_advance):
    # 5 %, 1.00 an event, 2 free events, 120 free units: 8 and 5 are free; 3 pays 3 x 5 %
    # + one fixed amount = 100 + 15
    fees = _event_fees(in_advance, "s_pct_events")
    assert fees[1:] == [("2023-02-15", 5, 1, 0, False), ("2023-02-16", 3, 1, 115, False)]
    assert fees[0] == ("2023-02-14", 8, 1, 0, False)  # by hand: the first of 2 free events


def test_percentage_with_free_total(in_advance):
    # 1 free event, 120 free units: after 2 (free), 1 pays 1 x 5 % + 1.00 = 105
    assert _event_fees(in_advance, "s_pct_total")[1:] == [("2023-02-15", 1, 1, 105, False)]


def test_percentage_per_transaction_min_and_max(in_advance):
    # 1 % + 0.50: 100 -> 1.50, raised to the 1.75 minimum; 1000 -> 10.50 and 10000 -> 100.50,
    # both cut to the 2.00 maximum
    assert _event_fees(in_advance, "s_pct_minmax") == [
        ("2023-02-14", 100, 1, 175, False),
        ("2023-02-15", 1000, 1, 200, False),
        ("2023-02-16", 10000, 1, 200, False),
    ]


def test_percentage_free_total_crossed_by_the_first_event(in_advance):
    # 3 free units: 5 -> 2 paying x 5 % + 1.00 = 110; then 1 -> 215 - 110 = 105
    assert _event_fees(in_advance, "s_pct_free3") == [
        ("2023-02-15", 5, 1, 110, False),
        ("2023-02-17", 1, 1, 105, False),
    ]


def test_percentage_on_a_count_metric(in_advance):
    # 1 free event: the only event is free
    assert _event_fees(in_advance, "s_pct_count") == [("2023-02-15", 1, 1, 0, False)]


def test_each_event_of_an_invoiceable_charge_has_its_own_invoice(in_advance):
    invoices = in_advance.query(
        """
        select split_part(number, '-', 3), invoice_type, status, cast(issuing_date as varchar),
               fees_amount_cents,
               coupons_amount_cents, taxes_amount_cents, total_amount_cents
        from billing.invoices where external_customer_id = 'cu_sum' order by number
        """
    )
    # The customer's own sequence numbers them in order, whatever the type. By hand: the
    # coupon (300 off, once) waits for the first invoice with fees: the event
    # of Feb 15 (Feb 1's has none): 1000 - 300 = 700, VAT 20 % 140 -> 840. Feb 18: 400 + 80.
    # Mar 1 bills February's in-arrears calls (1 x 0.50 = 50, VAT 10 -> 60) and not the
    # pay-in-advance charge, already billed per event.
    assert invoices == [
        ("001", "subscription", "finalized", "2023-02-01", 0, 0, 0, 0),
        ("002", "advance_charges", "finalized", "2023-02-15", 1000, 300, 140, 840),
        ("003", "advance_charges", "finalized", "2023-02-17", 0, 0, 0, 0),
        ("004", "advance_charges", "finalized", "2023-02-18", 400, 0, 80, 480),
        ("005", "subscription", "finalized", "2023-03-01", 50, 0, 10, 60),
        ("006", "subscription", "finalized", "2023-04-01", 0, 0, 0, 0),
    ]
    # an advance_charges invoice names the subscription and the charges period of its event
    periods = in_advance.query(
        """
        select cast(s.charges_from_datetime as varchar), cast(s.charges_to_datetime as varchar),
               s.has_subscription_fee
        from billing.invoice_subscriptions s join billing.invoices i using (invoice_id)
        where i.external_customer_id = 'cu_sum' and i.issuing_date = '2023-02-15'
        """
    )
    assert periods == [("2023-02-01 00:00:00", "2023-02-28 23:59:59", False)]


def test_a_recurring_metric_pays_its_increases_and_its_level_every_period(in_advance):
    # By hand, 2.00 a seat: +3 on Feb 10 -> 600 (its own invoice); -1 on Feb 20 -> 0; the
    # Mar 1 invoice bills the level, 2 seats, in full (400); +1 on Mar 5 lifts the level of
    # 2 to 3 -> 1 seat, 200; the Apr 1 invoice bills 3 seats (600)
    invoices = in_advance.query(
        """
        select invoice_type, cast(issuing_date as varchar), fees_amount_cents
        from billing.invoices where external_customer_id = 'cu_recurring' order by number
        """
    )
    assert invoices == [
        ("subscription", "2023-02-01", 0),
        ("advance_charges", "2023-02-10", 600),
        ("advance_charges", "2023-02-20", 0),
        ("subscription", "2023-03-01", 400),
        ("advance_charges", "2023-03-05", 200),
        ("subscription", "2023-04-01", 600),
    ]


def test_fees_recorded_without_an_invoice_count_in_gross_revenue(in_advance):
    # Lago's gross revenue adds the pay-in-advance fees that no invoice carries, by the month
    # they are made: February's non-invoiceable fees of the fixture, by hand:
    # count 2000 + unique 3600 + package 20000 + graduated 13 + 5 + percentages 115 + 105
    # + 575 + 215 + 0 = 26628, plus February's invoices (cu_sum 840 + 0 + 480, cu_recurring 600 + 0,
    # cu_recurring_ended 600, cu_wallet 0 + 200) = 2720
    (february,) = in_advance.query(
        "select amount_cents from analytics.gross_revenue where month = '2023-02-01' and currency = 'EUR'"
    )
    assert february == (26628 + 2720,)


def test_a_terminated_subscription_does_not_re_bill_its_recurring_level(in_advance):
    # By hand: +3 seats on Feb 10 -> 600 on its own invoice; Mar 1 bills the level, 3 x 2.00
    # = 600; the termination on Mar 20 starts no period, so its invoice re-bills nothing
    # (Lago: CalculateFeesService#should_not_create_charge_fee?)
    invoices = in_advance.query(
        """
        select invoice_type, cast(issuing_date as varchar), fees_amount_cents
        from billing.invoices where external_customer_id = 'cu_recurring_ended' order by number
        """
    )
    assert invoices == [
        ("subscription", "2023-02-01", 0),
        ("advance_charges", "2023-02-10", 600),
        ("subscription", "2023-03-01", 600),
        ("subscription", "2023-03-20", 0),
    ]


@pytest.fixture(scope="module")
def in_advance_daily(tmp_path_factory):
    """tests/fixtures/in_advance_daily billed through 2023-03-01 (as of 2023-03-02 00:00 UTC)."""
    root = tmp_path_factory.mktemp("in_advance_daily")
    data_dir = copy_fixture("in_advance_daily", root)
    run = run_billing(data_dir, root / "warehouse.duckdb", through="2023-03-01")
    assert run.returncode == 0, run.stderr[-4000:]
    return run


def test_daily_invoicing_puts_a_subscriptions_fees_of_a_local_day_on_one_invoice(in_advance_daily):
    invoices = in_advance_daily.query(
        """
        select invoice_type, cast(issuing_date as varchar), fees_amount_cents, taxes_amount_cents,
               total_amount_cents, (select count(*) from billing.fees f where f.invoice_id = i.invoice_id)
        from billing.invoices i where invoice_type = 'advance_charges' order by issuing_date
        """
    )
    # By hand, New York days, sum at 1.00 and count at 0.25, VAT 20 %:
    # Feb 15: 10 (1000) + one call (25) + 5 at 03:00 UTC on the 16th, still the 15th there
    # (500) = 1525, VAT 305 -> 1830; Feb 16: 2 (200) + 40 = 240
    assert invoices == [
        ("advance_charges", "2023-02-15", 1525, 305, 1830, 3),
        ("advance_charges", "2023-02-16", 200, 40, 240, 1),
    ]
    # The event of Mar 1 (12:00 UTC) waits: its New York day ends at 05:00 UTC on Mar 2,
    # after the run's as_of (00:00 UTC), so neither its invoice nor its fee exists yet; the
    # next run bills it (a finalized invoice never gains a fee)
    (waiting,) = in_advance_daily.query(
        "select count(*) from billing.fees where issuing_date = '2023-03-01' and pay_in_advance"
    )
    assert waiting == (0,)
