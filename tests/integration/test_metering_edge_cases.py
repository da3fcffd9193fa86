"""Metering edge cases through the real pipeline (tests/fixtures/metering), worked by hand.

One `billing run` through 2024-04-01 (as of 2024-04-02 00:00 UTC): the February and
March periods of three subscriptions on calendar monthly plans, and April's current one.
- s_busy: one charge per aggregation type, a filtered charge and a grouped charge.
- s_idle: the same plan without a single event (every row 0).
- s_mover: plan `before` until 2024-03-15, then `after`, on recurring metrics.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import copy_fixture, run_billing

pytestmark = pytest.mark.slow

FEB, MAR, APR = "2024-02-01", "2024-03-01", "2024-04-01"


@pytest.fixture(scope="module")
def metering(tmp_path_factory):
    root = tmp_path_factory.mktemp("metering")
    data_dir = copy_fixture("metering", root)
    run = run_billing(data_dir, root / "warehouse.duckdb", through="2024-04-01")
    assert run.returncode == 0, run.stderr[-4000:]
    return run


def _usage(run, subscription: str) -> dict[tuple, tuple[Decimal, int]]:
    rows = run.query(
        """
        select charge_id, filter_display_name, grouped_by,
               cast(cast(from_datetime as date) as varchar), units, events_count
        from billing.usage where external_subscription_id = ?
        """,
        [subscription],
    )
    usage = {}
    for charge, filter_name, grouped_by, start, units, count in rows:
        key = (charge, filter_name, grouped_by, start)
        assert key not in usage, f"two billing.usage rows for {key}"
        usage[key] = (units, count)
    return usage


def test_period_bounds_and_count_ignore_the_field(metering):
    usage = _usage(metering, "s_busy")
    # 2024-02-29T23:59:59.999999 is February's; 2024-03-01T00:00:00 is March's; a count
    # ignores a non-numeric property
    assert usage[("edge_calls", None, "{}", FEB)] == (1, 1)
    assert usage[("edge_calls", None, "{}", MAR)] == (2, 2)


def test_sum_keeps_negatives_and_skips_what_is_not_a_plain_decimal(metering):
    # 10 - 25.5 + "12"; "abc", "1e3", ".5" and a missing amount are errors, not in the count
    assert _usage(metering, "s_busy")[("edge_spend", None, "{}", MAR)] == (Decimal("-3.5"), 3)
    errors = dict(
        metering.query(
            "select transaction_id, error_code from billing.event_errors "
            "where external_subscription_id = 's_busy'"
        )
    )
    assert errors == {
        "spend-not-a-number": "invalid_aggregation_property",
        "spend-exponent": "invalid_aggregation_property",
        "spend-leading-dot": "invalid_aggregation_property",
        "spend-missing": "missing_aggregation_property",
        "traffic-mars": "invalid_filter_value",
    }


def test_max_and_latest(metering):
    usage = _usage(metering, "s_busy")
    assert usage[("edge_peak", None, "{}", MAR)] == (12, 3)  # 3, "12", 7.5
    # two events at 12:00 on Feb 7: the one received last wins
    assert usage[("edge_seats", None, "{}", FEB)] == (9, 3)
    # the last value is -3: clamped to 0, both events counted
    assert usage[("edge_seats", None, "{}", MAR)] == (0, 2)


def test_unique_count_counts_values_whose_last_operation_is_an_add(metering):
    # u1 added then removed in the period's last second: 0; u2 added twice: 1; u3 only
    # removed: 0; u4 added in the last microsecond: 1; u5 was February's only
    assert _usage(metering, "s_busy")[("edge_users", None, "{}", MAR)] == (2, 2)
    assert _usage(metering, "s_busy")[("edge_users", None, "{}", FEB)] == (1, 1)


def test_weighted_sum_divides_by_the_full_month_with_postgres_precision(metering):
    # +4 on Mar 11, -4 on Mar 21: 4 x 10 days / 31 days, 16 decimals as Lago's Postgres
    assert _usage(metering, "s_busy")[("edge_vcpus", None, "{}", MAR)] == (
        Decimal("1.2903225806451613"),
        2,
    )


def test_an_event_counts_in_its_most_specific_filter_only(metering):
    usage = _usage(metering, "s_busy")
    assert usage[("edge_traffic", "eu, gold", "{}", MAR)] == (10, 1)  # two keys beat one
    assert usage[("edge_traffic", "us", "{}", MAR)] == (5, 1)  # [us] is narrower than [eu, us]
    # eu, and eu+silver (one-key filters of 2 values each: the first listed)
    assert usage[("edge_traffic", "Europe and US", "{}", MAR)] == (9, 2)
    assert usage[("edge_traffic", "tier", "{}", MAR)] == (1, 1)  # __ALL_FILTER_VALUES__
    # asia and no region at all: the charge's default bucket; mars is an error
    assert usage[("edge_traffic", None, "{}", MAR)] == (103, 2)


def test_pricing_groups_with_missing_or_empty_keys(metering):
    usage = _usage(metering, "s_busy")
    assert usage[("edge_requests", None, '{"provider":"aws","region":"eu"}', MAR)] == (3, 2)
    assert usage[("edge_requests", None, '{"provider":"aws","region":null}', MAR)] == (4, 1)
    assert usage[("edge_requests", None, '{"provider":null,"region":"eu"}', MAR)] == (8, 1)
    assert usage[("edge_requests", None, '{"provider":null,"region":null}', MAR)] == (16, 1)
    # no events: one group, every key null
    assert usage[("edge_requests", None, '{"provider":null,"region":null}', FEB)] == (0, 0)


def test_a_subscription_without_events_has_a_row_of_zero_everywhere(metering):
    usage = _usage(metering, "s_idle")
    charges = {"edge_calls", "edge_spend", "edge_peak", "edge_seats", "edge_users",
               "edge_vcpus", "edge_traffic", "edge_requests"}  # fmt: skip
    assert {key[0] for key in usage} == charges
    assert all(value == (0, 0) for value in usage.values())
    # every filter and the default bucket, in each of the three periods
    assert sum(key[0] == "edge_traffic" for key in usage) == 5 * 3


def test_recurring_values_survive_a_plan_change_mid_period(metering):
    usage = _usage(metering, "s_mover")
    # recurring sum: all history of the external id up to the period end
    assert usage[("before_credits", None, "{}", MAR)] == (8, 2)
    assert usage[("after_credits", None, "{}", "2024-03-15")] == (12, 3)
    # recurring unique count: m2 removed on Mar 10, m1 in the last second of March
    assert usage[("before_members", None, "{}", MAR)] == (1, 1)
    assert usage[("after_members", None, "{}", "2024-03-15")] == (0, 0)
    # recurring weighted sum: level 10 since Feb 1 carried into both halves of March, over
    # 31 days; the new plan groups by zone, so the history's event is in zone a
    assert usage[("before_disks", None, "{}", MAR)] == (Decimal("4.5161290322580645"), 0)
    assert usage[("after_disks", None, '{"zone":"a"}', "2024-03-15")] == (
        Decimal("5.4838709677419355"),
        0,
    )
    assert usage[("after_disks", None, '{"zone":"b"}', "2024-03-15")] == (Decimal("1.4"), 1)
    assert usage[("after_disks", None, '{"zone":"a"}', APR)] == (10, 0)


def test_events_valued_list_each_event_with_its_usage_row(metering):
    rows = metering.query(
        """
        select events.transaction_id, events.is_valid, usage.filter_display_name
        from intermediate.int_usage_events_valued as events
        left join billing.usage as usage on events.usage_id = usage.usage_id
        where events.code = 'traffic'
        order by 1
        """
    )
    assert rows == [
        ("traffic-asia", True, None),
        ("traffic-eu", True, "Europe and US"),
        ("traffic-eu-gold", True, "eu, gold"),
        ("traffic-eu-silver", True, "Europe and US"),
        ("traffic-mars", False, None),
        ("traffic-no-filter-key", True, None),
        ("traffic-silver", True, "tier"),
        ("traffic-us", True, "us"),
    ]
