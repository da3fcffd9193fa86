"""The Lago-vector converter (tests/conformance), without the pipeline."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.conformance import issues, vectors
from tests.conformance.case import SEPARATOR, ConvertedCase, Period
from tests.conformance.cases import all_cases, converted, run_groups
from tests.conformance.convert_invoices import (
    ExpectedInvoice,
    InvoiceCheck,
    convert_invoice,
    namespace_catalog,
)
from tests.conformance.convert_units import (
    AggregationCheck,
    ChargeCheck,
    ExpectedUsage,
    convert_charge_model,
    shape_period,
)
from tests.conformance.datadir import dumps, organization_key, write_data_dir
from tests.conformance.warehouse import check_aggregation, check_charge, check_invoices, connect

IDENTITY_KEYS = {
    "taxes": ("code",),
    "billable_metrics": ("code",),
    "plans": ("code",),
    "add_ons": ("code",),
    "coupons": ("code",),
    "customers": ("external_id",),
    "subscriptions": ("external_id", "external_customer_id", "plan_code"),
    "applied_coupons": ("external_customer_id", "coupon_code"),
    "wallets": ("external_customer_id", "code"),
    "wallet_transactions": ("transaction_id", "external_customer_id", "wallet_code"),
}


def _case(case_id: str) -> ConvertedCase:
    return next(case for case in all_cases() if case.case_id == case_id)


def _references(case: ConvertedCase) -> list[str]:
    """Every identity and reference a converted case writes."""
    values = []
    for kind, keys in IDENTITY_KEYS.items():
        for obj in case.catalog.get(kind, []):
            values += [obj[key] for key in keys if obj.get(key) is not None]
    for plan in case.catalog.get("plans", []):
        values += plan.get("tax_codes") or []
        for charge in plan.get("charges", []):
            values += [charge["billable_metric_code"], *(charge.get("tax_codes") or [])]
            values += [charge["id"]] if "id" in charge else []
    for customer in case.catalog.get("customers", []):
        values += customer.get("tax_codes") or []
    for coupon in case.catalog.get("coupons", []):
        for targets in (coupon.get("applies_to") or {}).values():
            values += targets
    for event in case.events:
        values += [event["transaction_id"], event["external_subscription_id"], event["code"]]
        values += [event["external_customer_id"]] if event.get("external_customer_id") else []
    return values


@pytest.mark.parametrize("case", all_cases(), ids=lambda case: case.case_id)
def test_every_identity_of_a_case_is_namespaced_by_its_id(case: ConvertedCase):
    prefix = case.case_id + SEPARATOR
    outside = [value for value in _references(case) if not value.startswith(prefix)]
    assert not outside


@pytest.mark.parametrize("case", all_cases(), ids=lambda case: case.case_id)
def test_every_reference_of_a_case_resolves_inside_the_case(case: ConvertedCase):
    catalog = case.catalog
    plans = {plan["code"] for plan in catalog.get("plans", [])}
    metrics = {metric["code"] for metric in catalog.get("billable_metrics", [])}
    customers = {customer["external_id"] for customer in catalog.get("customers", [])}
    taxes = {tax["code"] for tax in catalog.get("taxes", [])}
    subscriptions = {
        subscription["external_id"] for subscription in catalog.get("subscriptions", [])
    }
    assert {subscription["plan_code"] for subscription in catalog.get("subscriptions", [])} <= plans
    assert {
        subscription["external_customer_id"] for subscription in catalog.get("subscriptions", [])
    } <= customers
    charges = [charge for plan in catalog.get("plans", []) for charge in plan.get("charges", [])]
    assert {charge["billable_metric_code"] for charge in charges} <= metrics
    tax_codes = {code for charge in charges for code in charge.get("tax_codes") or []}
    tax_codes |= {
        code
        for obj in catalog.get("plans", []) + catalog.get("customers", [])
        for code in obj.get("tax_codes") or []
    }
    assert tax_codes <= taxes
    assert {event["external_subscription_id"] for event in case.events} <= subscriptions
    assert {event["code"] for event in case.events} <= metrics


# CONTRACT §1.1 identities (subscriptions: several rows of one external_id are its history).
CONTRACT_IDENTITIES = {
    "taxes": ("code",),
    "billable_metrics": ("code",),
    "plans": ("code",),
    "add_ons": ("code",),
    "coupons": ("code",),
    "customers": ("external_id",),
    "subscriptions": ("external_id", "created_at"),
    "applied_coupons": ("external_customer_id", "coupon_code", "created_at"),
    "wallets": ("external_customer_id", "code"),
    "wallet_transactions": ("transaction_id",),
}


def test_no_two_cases_of_a_run_share_an_identity():
    for group in run_groups():
        seen = Counter()
        for case in group.cases:
            for kind, keys in CONTRACT_IDENTITIES.items():
                seen.update(
                    (kind, *(obj.get(key) for key in keys)) for obj in case.catalog.get(kind, [])
                )
            seen.update(
                ("event", event["external_subscription_id"], event["transaction_id"])
                for event in case.events
            )
        assert [identity for identity, count in seen.items() if count > 1] == []


def test_organization_taxes_become_the_taxes_of_the_cases_customers():
    case = next(
        case
        for case in vectors.load("invoice")
        if case["id"] == "pay_in_advance_grace_period_late_event_included_on_refresh"
    )
    catalog = namespace_catalog(case)
    assert [tax["applied_to_organization"] for tax in catalog["taxes"]] == [False]
    assert catalog["customers"][0]["tax_codes"] == [f"{case['id']}__org_tax_20"]


def test_customer_taxes_are_kept_over_organization_taxes():
    case = {
        "id": "c",
        "taxes": [
            {"code": "org", "rate": "20", "applied_to_organization": True},
            {"code": "own", "rate": "5"},
        ],
        "customers": [{"external_id": "a", "tax_codes": ["own"]}, {"external_id": "b"}],
        "expected_invoices": [],
    }
    catalog = namespace_catalog(case)
    assert [customer.get("tax_codes") for customer in catalog["customers"]] == [
        ["c__own"],
        ["c__org"],
    ]


def test_every_case_is_in_exactly_one_run():
    placed = Counter(case.case_id for group in run_groups() for case in group.cases)
    assert set(placed) == {case.case_id for case in all_cases()}
    assert set(placed.values()) == {1}


def test_runs_split_only_by_organization_and_support():
    groups = run_groups()
    for group in groups:
        assert len({case.supported for case in group.cases}) == 1
        assert len({organization_key(case.organization) for case in group.cases}) == 1
        assert group.through == max(case.through for case in group.cases)
    # invoices.json's one organization is CONTRACT's default: one run of supported cases,
    # one of pending cases (none once every issue has landed).
    assert {group.name for group in groups} <= {"pending-default-org", "supported-default-org"}


def test_organizations_that_bill_alike_share_a_run():
    explicit = {"timezone": "UTC", "billing_configuration": {"invoice_grace_period": 0}}
    assert organization_key(None) == organization_key(explicit) == "default-org"
    assert organization_key({"billing_configuration": {"invoice_grace_period": 3}}) != "default-org"


def test_a_run_goes_through_the_last_billing_day_of_its_cases():
    case = _case("sum_spec_basic")  # window Feb 2024: invoiced on 2024-03-01
    assert case.through == date(2024, 3, 1)
    grace = _case("charge_min_amount_true_up_on_termination_with_grace_period")
    assert grace.through == date(2023, 2, 28)  # bill_through 2023-02-25 + 3 days of grace


@pytest.mark.parametrize(
    ("case_id", "start", "period_start"),
    [
        # The window Feb 1 .. Mar 1 00:00 holds the same events as calendar February.
        ("sum_spec_basic", datetime(2023, 9, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)),
        # Nothing in Feb 15 .. Mar 12: February (no events) stands for it, not March.
        (
            "latest_spec_out_of_bounds",
            datetime(2024, 2, 1, tzinfo=UTC),
            datetime(2024, 2, 1, tzinfo=UTC),
        ),
        # Recurring unique count reads all history up to Aug 8: August holds the removal too.
        (
            "uc_spec_added_and_removed_in_period",
            datetime(2022, 6, 9, tzinfo=UTC),
            datetime(2022, 8, 1, tzinfo=UTC),
        ),
        # A partial first period is the period itself.
        ("count_scn_3_events", datetime(2024, 3, 5, tzinfo=UTC), datetime(2024, 3, 5, tzinfo=UTC)),
        # weighted_sum needs the exact period (its length divides).
        (
            "ws_scn_first_partial_period",
            datetime(2023, 3, 5, tzinfo=UTC),
            datetime(2023, 3, 5, tzinfo=UTC),
        ),
    ],
)
def test_aggregation_windows_become_a_billing_period_reading_the_same_events(
    case_id, start, period_start
):
    case = next(case for case in vectors.load("aggregation") if case["id"] == case_id)
    shaped_start, period, _ = shape_period(case)
    assert (shaped_start, period.start) == (start, period_start)


def test_every_aggregation_case_finds_its_billing_period():
    assert [case.case_id for case in converted("aggregation") if case.blocked] == []


def _event_values(case: ConvertedCase) -> list[Decimal]:
    return [
        Decimal(event["properties"]["value"])
        for event in case.events
        if "value" in event["properties"]
    ]


@pytest.mark.parametrize("raw", vectors.load("charge_model"), ids=lambda raw: raw["id"])
def test_charge_model_events_add_up_to_the_units(raw):
    case = convert_charge_model(raw)
    metric = case.catalog["billable_metrics"][0]
    if raw.get("prorated"):
        assert sum(_event_values(case)) == Decimal(raw["full_units_number"])
    elif metric["aggregation_type"] == "count_agg":
        assert len(case.events) == Decimal(raw["units"])
    else:
        assert sum(_event_values(case), Decimal(0)) == Decimal(raw["units"])
    if raw.get("events"):
        assert _event_values(case) == [Decimal(value) for value in raw["events"]]
        assert [event["timestamp"] for event in case.events] == sorted(
            event["timestamp"] for event in case.events
        )
    if raw.get("events_count") is not None:
        assert len(case.events) == raw["events_count"]
    assert case.catalog["plans"][0]["charges"][0]["properties"] == raw["properties"]


def test_dynamic_events_carry_their_precise_amounts():
    case = _case("dyn_scn_1_event")
    assert [event.get("precise_total_amount_cents") for event in case.events] == ["10.1"]
    zero = _case("dyn_spec_zero_units")
    assert [
        (event["properties"]["value"], event["precise_total_amount_cents"]) for event in zero.events
    ] == [("0", "40.2")]


def test_prorated_events_sit_where_lago_prorates_them():
    # events_prorated 0.7097 = 22/31 of 1: 22 days to the end of March, inclusive -> March 10.
    case = _case("pgrad_spec_final_units_zero")
    assert case.events[0]["timestamp"] == "2024-03-10T00:00:00Z"
    # 2 = 12/30 of 5: April (30 days), 12 days to its end -> April 19.
    assert _case("pgrad_spec_negative_total").events[0]["timestamp"] == "2024-04-19T00:00:00Z"


def test_expected_amount_in_major_units_becomes_cents_half_up():
    assert _case("std_spec_10_units").check.amount_cents == 5123  # 51.2345 USD
    assert _case("grad_spec_0_units").check.amount_cents == 200
    assert _case("std_scn_count_4_events").check.amount_cents == 5000


def test_written_data_directory_is_valid_json_without_floats(tmp_path):
    for group in run_groups():
        root = write_data_dir(group, tmp_path / group.name)
        catalogs = sorted((root / "catalog").glob("*.json"))
        assert len(catalogs) >= len(group.cases)
        for path in catalogs:
            assert isinstance(json.loads(path.read_text()), dict)
        for path in (root / "events").glob("*.jsonl"):
            for line in path.read_text().splitlines():
                assert set(json.loads(line)) >= {
                    "transaction_id",
                    "external_subscription_id",
                    "code",
                    "timestamp",
                }
    events = (tmp_path / "supported-default-org" / "events" / "sum_spec_float.jsonl").read_text()
    assert '"total_count": 2.5' in events and '"total_count": 4.5' in events  # numbers stay numbers


def test_json_writer_keeps_decimals_exact_and_refuses_floats():
    assert (
        dumps({"a": Decimal("123.456"), "b": [Decimal("0.01"), 1, "2.50"]})
        == '{"a": 123.456, "b": [0.01, 1, "2.50"]}'
    )
    assert json.loads(dumps(Decimal("1E+2"))) == 100
    with pytest.raises(TypeError):
        dumps({"a": 0.1})


def test_generated_data_directories_pass_the_catalog_reader(tmp_path):
    catalog = pytest.importorskip("dagster_project.lib.catalog")
    for group in run_groups():
        root = write_data_dir(group, tmp_path / group.name)
        result = catalog.read_catalog(root)
        assert result.warnings == []  # no key of ours is unknown to the reader
        subscriptions = {row["external_id"] for row in result.rows["subscriptions"]}
        assert subscriptions == {
            subscription["external_id"]
            for case in group.cases
            for subscription in case.catalog.get("subscriptions", [])
        }


def test_xfail_reasons_are_issue_titles():
    titles = set(issues.ISSUE_ORDER)
    for case in all_cases():
        if case.xfail_reason and not case.blocked:
            assert set(case.xfail_reason.split(" + ")) <= titles


def test_cases_marked_supported_use_only_built_features():
    for case in all_cases():
        if case.supported:
            assert all(issues.FEATURE_ISSUE[feature] is issues.BUILT for feature in case.features)


def test_an_unknown_feature_or_tag_stops_the_conversion():
    with pytest.raises(ValueError, match="unknown feature"):
        issues.case_features("x", frozenset({"teleportation"}))
    raw = dict(next(iter(vectors.load("invoice"))), tags=["teleportation"])
    with pytest.raises(ValueError, match="teleportation"):
        convert_invoice(raw)


def test_foundation_cases_run_as_plain_tests():
    supported = {case.case_id for case in all_cases() if case.supported}
    assert {"sum_spec_basic", "count_scn_3_events", "std_spec_10_units"} <= supported
    assert "monthly_in_advance_calendar_leap_february" in supported


def test_a_case_waits_for_every_issue_its_features_need(monkeypatch):
    # The table changes as issues land; pin three rows to test the mechanism.
    monkeypatch.setitem(issues.FEATURE_ISSUE, "recurring_metric", issues.METERING)
    monkeypatch.setitem(issues.FEATURE_ISSUE, "prorated_charge", issues.PRICING)
    monkeypatch.setitem(issues.FEATURE_ISSUE, "charge_model:graduated", issues.PRICING)
    case = _case("pgrad_spec_negative_total")
    assert case.xfail_reason == f"{issues.METERING} + {issues.PRICING}"
    monkeypatch.setitem(issues.FEATURE_ISSUE, "recurring_metric", issues.BUILT)
    assert case.xfail_reason == issues.PRICING
    for feature in ("prorated_charge", "charge_model:graduated"):
        monkeypatch.setitem(issues.FEATURE_ISSUE, feature, issues.BUILT)
    assert case.xfail_reason is None and case.supported


def test_unexercised_features_are_features_their_case_has():
    for case_id, (features, why) in issues.CASE_UNEXERCISED.items():
        assert features <= _case(case_id).detected_features, case_id
        assert why and not features & _case(case_id).features


def test_a_failed_run_reports_its_reason_and_root_cause_first(tmp_path):
    from tests.conformance.datadir import RunResult

    stderr = "Traceback...\n  File x\nKeyError: 'model.ratebook.x'\n  more\nbilling run failed: step failed\n"
    result = RunResult(
        "g", tmp_path / "data", tmp_path / "w.duckdb", date(2024, 1, 1), 1, "", stderr, 3.0
    )
    first_lines = result.failure().splitlines()[1:3]
    assert first_lines == ["billing run failed: step failed", "KeyError: 'model.ratebook.x'"]


# --- the comparisons, on a hand-made warehouse ---------------------------------------------


@pytest.fixture
def tiny_warehouse(tmp_path):
    import duckdb

    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema billing")
        con.execute(
            """create table billing.usage as select * from (values
            ('s', 'm', null, '{}', timestamp '2024-03-01', timestamp '2024-03-31 23:59:59',
             3.000::decimal(38, 12), 3)
            ) t(external_subscription_id, code, filter_display_name, grouped_by, from_datetime,
                to_datetime, units, events_count)"""
        )
        con.execute(
            """create table billing.invoice_subscriptions as select * from (values
            ('i1', 's', timestamp '2024-03-01', timestamp '2024-03-31 23:59:59',
             timestamp '2024-03-01', timestamp '2024-03-31 23:59:59')
            ) t(invoice_id, external_subscription_id, from_datetime, to_datetime,
                charges_from_datetime, charges_to_datetime)"""
        )
        con.execute(
            """create table billing.fees as select * from (values
            ('f1', 'i1', 'c', 's', 'charge', 'm', 10.000::decimal(38, 12), 1,
             5.12345::decimal(38, 12), 51.2345::decimal(38, 12), 5123, 0::decimal(38, 12), 0,
             0::decimal(38, 12), 'USD', timestamp '2024-03-01', timestamp '2024-03-31 23:59:59')
            ) t(fee_id, invoice_id, external_customer_id, external_subscription_id, fee_type, code,
                units, events_count, precise_unit_amount, precise_amount, amount_cents,
                precise_coupons_amount, taxes_amount_cents, taxes_rate, currency, from_datetime,
                to_datetime)"""
        )
        con.execute(
            """create table billing.invoices as select * from (values
            ('i1', 'N-001-002', 'c', 'subscription', 'finalized', 'USD', date '2024-04-01',
             5123, 0, 5123, 0, 5123, 0, 0, 5123),
            ('i0', 'N-001-001', 'c', 'subscription', 'finalized', 'USD', date '2024-03-01',
             0, 0, 0, 0, 0, 0, 0, 0)
            ) t(invoice_id, number, external_customer_id, invoice_type, status, currency,
                issuing_date, fees_amount_cents, coupons_amount_cents,
                sub_total_excluding_taxes_amount_cents, taxes_amount_cents,
                sub_total_including_taxes_amount_cents, credit_notes_amount_cents,
                prepaid_credit_amount_cents, total_amount_cents)"""
        )
    return path


MARCH = Period(
    datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)
)
MAY = Period(
    datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 31, 23, 59, 59, 999999, tzinfo=UTC)
)


def _usage(units: str, count: int | None = None, grouped_by: dict | None = None) -> ExpectedUsage:
    return ExpectedUsage(grouped_by or {}, None, Decimal(units), None, count)


def test_usage_check_passes_on_equal_numbers_and_names_every_difference(tiny_warehouse):
    with connect(tiny_warehouse) as con:
        assert check_aggregation(con, AggregationCheck("s", "m", MARCH, (_usage("3.0", 3),))) == []
        problems = check_aggregation(con, AggregationCheck("s", "m", MARCH, (_usage("4", 2),)))
        assert problems == ["usage: units 3, Lago 4", "usage: events_count 3, Lago 2"]
        grouped = (_usage("3", grouped_by={"k": "v"}),)
        problems = check_aggregation(con, AggregationCheck("s", "m", MARCH, grouped))
        assert len(problems) == 1 and "no billing.usage row" in problems[0]


def test_a_usage_of_zero_needs_its_row(tiny_warehouse):
    # Regression: a metric the pipeline ignores has no row, and passed every "0" case.
    with connect(tiny_warehouse) as con:
        assert check_aggregation(con, AggregationCheck("s", "other", MARCH, (_usage("0", 0),)))


def _charge(**overrides) -> ChargeCheck:
    values = dict(
        external_subscription_id="s", code="m", period=MARCH, currency="USD",
        units=Decimal(10), events_count=1, amount_cents=5123, amount=Decimal("51.2345"),
        amount_round=None, amount_round_mode="half_up", unit_amount=Decimal("5.12345"),
        unit_amount_round=None,
    )  # fmt: skip
    return ChargeCheck(**{**values, **overrides})


def test_charge_check_compares_cents_precise_amount_and_unit_amount(tiny_warehouse):
    with connect(tiny_warehouse) as con:
        assert check_charge(con, _charge()) == []
        assert check_charge(con, _charge(amount=Decimal("51.23"), amount_round=2)) == []
        assert check_charge(
            con, _charge(amount=Decimal("51.24"), amount_round=2, amount_cents=5124)
        )
        assert check_charge(con, _charge(unit_amount=Decimal("5.12"), unit_amount_round=2)) == []
        assert check_charge(con, _charge(currency="EUR")) == ["currency USD, Lago EUR"]


def test_a_fee_of_zero_may_be_absent_only_without_units_and_events(tiny_warehouse):
    nothing = dict(code="other", amount_cents=0, amount=None, unit_amount=None)
    with connect(tiny_warehouse) as con:
        assert check_charge(con, _charge(units=Decimal(0), events_count=0, **nothing)) == []
        assert check_charge(con, _charge(units=Decimal(3), events_count=3, **nothing))
        # ... and only from a period that was invoiced
        assert check_charge(con, _charge(units=Decimal(0), events_count=0, period=MAY, **nothing))


def _invoice(issued: date, period=None, fees=(), fees_count=None, **fields) -> ExpectedInvoice:
    return ExpectedInvoice(
        external_customer_id="c",
        generated_at=datetime.combine(issued, datetime.min.time(), UTC),
        issuing_dates=(issued, issued),
        fields=fields,
        period=period,
        fees=tuple(fees),
        fees_count=fees_count,
        commitment_fees_count=None,
        not_compared=(),
    )


def test_invoice_check_matches_by_customer_and_issuing_date(tiny_warehouse):
    april = date(2024, 4, 1)
    period = {
        "charges_from_datetime": "2024-03-01T00:00:00Z",
        "charges_to_datetime": "2024-03-31T23:59:59Z",
    }
    fee = {"type": "charge", "code": "m", "units": "10", "amount_cents": 5123}
    fee["precise_amount_cents"] = "5123.45"
    ok = _invoice(april, period, [fee], 1, total_amount_cents=5123, status="finalized")
    with connect(tiny_warehouse) as con:
        assert check_invoices(con, InvoiceCheck((ok,), (), april)) == []
        wrong = _invoice(april, fees=[{**fee, "amount_cents": 1}], total_amount_cents=5000)
        problems = check_invoices(con, InvoiceCheck((wrong,), (), april))
        assert any("total_amount_cents 5123, Lago 5000" in problem for problem in problems)
        assert any("amount_cents 5123, Lago 1" in problem for problem in problems)
        missing = check_invoices(con, InvoiceCheck((_invoice(date(2024, 5, 1)),), (), april))
        assert len(missing) == 1 and "no such invoice" in missing[0]
