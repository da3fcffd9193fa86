"""Reading catalog files: Lago's shapes verbatim, exact decimals, UTC timestamps, warnings."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dagster_project.lib.catalog import read_catalog
from dagster_project.lib.raw_schema import CATALOG_TABLES, column_names

FIXTURES = Path(__file__).parents[1] / "fixtures" / "catalog"


def catalog_of(tmp_path: Path, **files: str):
    """read_catalog over a data directory holding just these catalog files."""
    for name, text in files.items():
        path = tmp_path / "catalog" / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return read_catalog(tmp_path)


def one(catalog, table: str, **match) -> dict:
    rows = [row for row in catalog.rows[table] if all(row[k] == v for k, v in match.items())]
    assert len(rows) == 1, rows
    return rows[0]


def every_value(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from every_value(item)
    elif isinstance(value, list):
        for item in value:
            yield from every_value(item)
    else:
        yield value


@pytest.fixture
def lago_export(tmp_path):
    shutil.copytree(FIXTURES / "lago_export", tmp_path / "catalog")
    return read_catalog(tmp_path)


def test_lago_api_export_envelopes_load_verbatim_without_warnings(lago_export):
    assert lago_export.warnings == []
    counts = {table: len(rows) for table, rows in lago_export.rows.items() if rows}
    assert counts == {
        "organization": 1,
        "taxes": 1,
        "billable_metrics": 2,
        "billable_metric_filters": 2,
        "plans": 1,
        "charges": 2,
        "charge_filters": 1,
        "tax_assignments": 2,
        "customers": 1,
        "subscriptions": 1,
    }


def test_lago_export_plan_charges_and_filters_keep_lagos_shapes(lago_export):
    plan = one(lago_export, "plans", code="scale")
    assert (plan["amount_cents"], plan["amount_currency"], plan["trial_period"]) == (
        10000,
        "EUR",
        Decimal("0.0"),
    )
    assert (
        plan["minimum_commitment_amount_cents"],
        plan["minimum_commitment_invoice_display_name"],
    ) == (50000, "Minimum spend")
    graduated = one(lago_export, "charges", charge_id="scale:0")
    assert graduated["billable_metric_code"] == "api_requests"
    assert json.loads(graduated["properties"])["graduated_ranges"][1] == {
        "from_value": 10001,
        "to_value": None,
        "flat_amount": "0",
        "per_unit_amount": "0.0015",
    }
    storage = one(lago_export, "charges", charge_id="scale:1")
    # Pricing group keys stay inside properties, as Lago sends them.
    assert json.loads(storage["properties"]) == {
        "amount": "0.021",
        "pricing_group_keys": ["bucket"],
        "grouped_by": ["bucket"],
    }
    charge_filter = one(lago_export, "charge_filters", charge_id="scale:0")
    assert json.loads(charge_filter["values"]) == {"region": ["eu-west-1"], "tier": ["realtime"]}
    assert charge_filter["invoice_display_name"] == "Realtime API (EU)"
    assert sorted(
        (row["owner_type"], row["owner_id"], row["tax_code"])
        for row in lago_export.rows["tax_assignments"]
    ) == [("customer", "cus_0042", "fr_vat"), ("plan", "scale", "fr_vat")]


def test_lago_export_customer_billing_configuration_is_flattened(lago_export):
    customer = one(lago_export, "customers", external_id="cus_0042")
    assert {
        key: customer[key]
        for key in (
            "currency",
            "timezone",
            "net_payment_term",
            "invoice_grace_period",
            "document_locale",
            "payment_provider",
            "provider_customer_id",
            "zipcode",
            "source_file",
        )
    } == {
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "net_payment_term": 30,
        "invoice_grace_period": 3,
        "document_locale": "fr",
        "payment_provider": "stripe",
        "provider_customer_id": "cus_Q1w2E3r4",
        "zipcode": "75002",
        "source_file": "catalog/customers.json",
    }
    assert json.loads(customer["metadata"])[0]["key"] == "crm_id"


def test_lago_export_metric_filters_become_one_row_per_key(lago_export):
    rows = {
        row["key"]: json.loads(row["values"]) for row in lago_export.rows["billable_metric_filters"]
    }
    assert rows == {"region": ["eu-west-1", "us-east-1"], "tier": ["batch", "realtime"]}
    storage = one(lago_export, "billable_metrics", code="storage_gb")
    assert (storage["recurring"], storage["rounding_function"], storage["rounding_precision"]) == (
        True,
        "ceil",
        2,
    )


def test_charge_metric_can_be_given_by_lago_metric_object_or_lago_id(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "all.json": json.dumps(
                {
                    "billable_metrics": [
                        {"lago_id": "m-1", "code": "calls", "aggregation_type": "count_agg"}
                    ],
                    "plans": [
                        {
                            "code": "p",
                            "interval": "monthly",
                            "amount_cents": 0,
                            "amount_currency": "USD",
                            "charges": [
                                {"billable_metric": {"code": "calls"}, "charge_model": "standard"},
                                {"lago_billable_metric_id": "m-1", "charge_model": "standard"},
                            ],
                        }
                    ],
                }
            )
        },
    )
    assert [row["billable_metric_code"] for row in catalog.rows["charges"]] == ["calls", "calls"]


def test_every_row_has_exactly_its_raw_tables_columns(lago_export):
    assert set(lago_export.rows) == set(CATALOG_TABLES)
    for table, rows in lago_export.rows.items():
        for row in rows:
            assert list(row) == column_names(table)


YAML_NUMBERS = """
taxes:
  - code: vat
    rate: 20.5
  - code: tiny
    rate: 0.1
plans:
  - code: p
    interval: monthly
    amount_cents: 100
    amount_currency: USD
    trial_period: 1.5
    charges:
      - billable_metric_code: m
        charge_model: standard
        properties:
          amount: 0.1
          other: 1.0e-7
billable_metrics:
  - code: m
    aggregation_type: count_agg
"""


def test_yaml_decimals_are_never_floats(tmp_path):
    catalog = catalog_of(tmp_path, **{"numbers.yaml": YAML_NUMBERS})
    assert one(catalog, "taxes", code="vat")["rate"] == Decimal("20.5")
    assert one(catalog, "taxes", code="tiny")["rate"] == Decimal("0.1")
    assert one(catalog, "plans", code="p")["trial_period"] == Decimal("1.5")
    assert not any(isinstance(value, float) for value in every_value(catalog.rows))
    # Inside JSON columns a YAML number is written as the exact number it is.
    assert (
        one(catalog, "charges", plan_code="p")["properties"]
        == '{"amount": 0.1, "other": 0.00000010}'
    )


def test_json_decimals_are_never_floats(tmp_path):
    catalog = catalog_of(tmp_path, **{"taxes.json": '{"taxes": [{"code": "vat", "rate": 0.1}]}'})
    rate = catalog.rows["taxes"][0]["rate"]
    assert isinstance(rate, Decimal) and rate == Decimal(
        "0.1"
    )  # a float would be 0.1000000000000000055...


def test_decimal_strings_become_decimals(tmp_path):
    catalog = catalog_of(tmp_path, **{"taxes.yaml": 'taxes:\n  - code: vat\n    rate: "19.6"\n'})
    assert catalog.rows["taxes"][0]["rate"] == Decimal("19.6")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"2024-03-01T10:00:00Z"', datetime(2024, 3, 1, 10)),
        ('"2024-03-01T12:00:00+02:00"', datetime(2024, 3, 1, 10)),
        ('"2024-03-01T10:00:00"', datetime(2024, 3, 1, 10)),  # naive means UTC
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10)),  # YAML's own timestamp
        ("2024-03-01", datetime(2024, 3, 1)),  # a date is its midnight
        ("1709287200", datetime(2024, 3, 1, 10)),  # Unix seconds
        ('"2024-03-01T10:00:00.250Z"', datetime(2024, 3, 1, 10, 0, 0, 250000)),
    ],
)
def test_timestamps_become_naive_utc(tmp_path, text, expected):
    catalog = catalog_of(
        tmp_path,
        **{
            "c.yaml": (
                "customers:\n  - external_id: c\n    currency: USD\n"
                f"wallets:\n  - external_customer_id: c\n    code: w\n    created_at: {text}\n"
            )
        },
    )
    assert catalog.rows["wallets"][0]["created_at"] == expected


def test_one_off_issuing_date_is_a_date(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "c.yaml": (
                "customers:\n  - external_id: c\n    currency: USD\n"
                "add_ons:\n  - code: a\n    amount_cents: 100\n    amount_currency: USD\n"
                "one_off_invoices:\n  - external_id: o\n    external_customer_id: c\n    issuing_date: 2024-01-15\n"
                "    fees:\n      - add_on_code: a\n"
            )
        },
    )
    invoice = catalog.rows["one_off_invoices"][0]
    assert (invoice["issuing_date"], invoice["currency"]) == (
        date(2024, 1, 15),
        "USD",
    )  # currency: the customer's


def test_yaml_keeps_country_no_and_zip_codes_with_leading_zeros_as_text(tmp_path):
    # YAML 1.1 reads NO as false and 01234 as an octal number; a catalog must not.
    catalog = catalog_of(
        tmp_path,
        **{"c.yaml": "customers:\n  - external_id: c\n    country: NO\n    zipcode: 01234\n"},
    )
    customer = catalog.rows["customers"][0]
    assert (customer["country"], customer["zipcode"]) == ("NO", "01234")


def test_organization_defaults_when_absent(tmp_path):
    catalog = catalog_of(tmp_path, **{"taxes.yaml": "taxes: []\n"})
    assert catalog.rows["organization"] == [
        {
            "name": None,
            "default_currency": "USD",
            "timezone": "UTC",
            "net_payment_term": 0,
            "document_numbering": "per_customer",
            "document_number_prefix": None,
            "tax_identification_number": None,
            "email": None,
            "address_line1": None,
            "address_line2": None,
            "city": None,
            "zipcode": None,
            "state": None,
            "country": None,
            "logo_url": None,
            "invoice_grace_period": 0,
            "document_locale": None,
            "invoice_footer": None,
            "in_advance_charges_invoicing": "per_event",
            "source_file": None,
        }
    ]


def test_organization_billing_configuration_is_flattened(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "org.yaml": (
                "organization:\n  name: Acme\n  default_currency: EUR\n  timezone: Europe/Paris\n"
                "  billing_configuration:\n    invoice_grace_period: 3\n    document_locale: fr\n    invoice_footer: Merci\n"
            )
        },
    )
    org = catalog.rows["organization"][0]
    assert (
        org["default_currency"],
        org["timezone"],
        org["invoice_grace_period"],
        org["document_locale"],
        org["invoice_footer"],
        org["net_payment_term"],
        org["source_file"],
    ) == ("EUR", "Europe/Paris", 3, "fr", "Merci", 0, "catalog/org.yaml")


def test_files_are_read_recursively_in_path_order_and_merged(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "b.yml": "taxes:\n  - code: b\n    rate: 1\n",
            "a__deep__x.json": '{"taxes": [{"code": "a", "rate": 2}]}',
            "c.yaml": "taxes:\n  - code: c\n    rate: 3\n",
            "notes.txt": "ignored",
        },
    )
    assert [(row["code"], row["source_file"]) for row in catalog.rows["taxes"]] == [
        ("a", "catalog/a/deep/x.json"),
        ("b", "catalog/b.yml"),
        ("c", "catalog/c.yaml"),
    ]


def test_lago_singular_wrapping_is_accepted(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "plan.json": json.dumps(
                {
                    "plan": {
                        "code": "solo",
                        "interval": "weekly",
                        "amount_cents": 500,
                        "amount_currency": "USD",
                    }
                }
            )
        },
    )
    assert [row["code"] for row in catalog.rows["plans"]] == ["solo"]


def test_charge_id_defaults_to_plan_code_and_position(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "p.yaml": (
                "billable_metrics:\n  - code: m\n    aggregation_type: count_agg\n"
                "plans:\n  - code: p\n    interval: monthly\n    amount_cents: 0\n    amount_currency: USD\n"
                "    charges:\n      - {billable_metric_code: m, charge_model: standard}\n"
                "      - {id: mine, billable_metric_code: m, charge_model: standard}\n"
            )
        },
    )
    assert [
        (row["charge_id"], row["position"], row["properties"]) for row in catalog.rows["charges"]
    ] == [("p:0", 0, "{}"), ("mine", 1, "{}")]


def test_unknown_key_that_looks_like_a_typo_warns_with_the_intended_field(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "p.yaml": (
                "plans:\n  - code: p\n    interval: monthly\n    amount_cents: 0\n    amount_currency: USD\n"
                "    pay_in_advanse: true\n    colour: blue\n"
            )
        },
    )
    assert catalog.warnings == [
        (
            "catalog/p.yaml: plans[code=p].pay_in_advanse: unknown field 'pay_in_advanse' ignored; "
            "did you mean 'pay_in_advance'?"
        ),
        "catalog/p.yaml: plans[code=p].colour: unknown field 'colour' ignored",
    ]


def test_unknown_kind_warns_and_meta_is_ignored_silently(tmp_path):
    catalog = catalog_of(
        tmp_path, **{"x.json": '{"customer": [], "meta": {"total_count": 0}, "planz": []}'}
    )
    assert catalog.warnings == []  # empty lists carry nothing to lose
    catalog = catalog_of(
        tmp_path, **{"x.json": '{"meta": {"total_count": 1}, "planz": [{"code": "p"}]}'}
    )
    assert catalog.warnings == [
        "catalog/x.json: unknown object kind 'planz' ignored; did you mean 'plans'?"
    ]


def test_repeated_unknown_keys_are_grouped_into_one_warning(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "c.yaml": "customers:\n"
            + "".join(f"  - external_id: c{n}\n    nickname: n{n}\n" for n in range(3))
        },
    )
    assert catalog.warnings == [
        (
            "catalog/c.yaml: customers[external_id=c0].nickname: unknown field 'nickname' ignored "
            "(and 2 more like it in this file)"
        )
    ]


def test_a_missing_catalog_directory_is_an_empty_catalog(tmp_path):
    catalog = read_catalog(tmp_path)
    assert len(catalog.rows["organization"]) == 1
    assert all(not rows for table, rows in catalog.rows.items() if table != "organization")
    assert len(catalog.warnings) == 1


def test_subscription_defaults_follow_the_raw_schema(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "s.yaml": (
                "customers:\n  - external_id: c\n"
                "plans:\n  - code: p\n    interval: monthly\n    amount_cents: 100\n    amount_currency: GBP\n"
                "subscriptions:\n  - external_id: s\n    external_customer_id: c\n    plan_code: p\n"
                "    subscription_at: 2024-05-01\n"
            )
        },
    )
    subscription = catalog.rows["subscriptions"][0]
    assert (
        subscription["created_at"],
        subscription["subscription_at"],
        subscription["billing_time"],
        subscription["plan_overrides"],
    ) == (datetime(2024, 5, 1), datetime(2024, 5, 1), "calendar", "{}")
    assert (
        catalog.rows["customers"][0]["currency"] == "GBP"
    )  # Lago: the first subscription's currency


OVERRIDE_CATALOG = (
    "billable_metrics:\n"
    "  - code: calls\n    aggregation_type: count_agg\n"
    "    filters:\n      - {key: region, values: [eu, us]}\n"
    "  - code: gb\n    aggregation_type: sum_agg\n    field_name: gb\n"
    "taxes:\n  - {code: vat, rate: '20'}\n  - {code: low, rate: '5.5'}\n"
    "customers:\n  - {external_id: c1, currency: EUR}\n"
    "plans:\n  - code: p\n    interval: monthly\n    amount_cents: 1000\n    amount_currency: EUR\n"
    "    tax_codes: [vat]\n"
    "    charges:\n"
    "      - id: calls\n        billable_metric_code: calls\n        charge_model: standard\n"
    "        properties: {amount: '0.10'}\n        tax_codes: [vat]\n"
    "        filters:\n          - {values: {region: [eu]}, properties: {amount: '0.20'}}\n"
    "      - {id: storage, billable_metric_code: gb, charge_model: standard, properties: {amount: '1'}}\n"
)


def test_plan_overrides_charges_become_charges_of_that_subscription_version(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "catalog.yaml": OVERRIDE_CATALOG
            + "subscriptions:\n"
            "  - external_id: s1\n    external_customer_id: c1\n    plan_code: p\n"
            "    created_at: '2024-01-01T00:00:00Z'\n"
            "    plan_overrides:\n"
            "      tax_codes: [low]\n"
            "      charges:\n"
            "        - id: calls\n          properties: {amount: '0.05'}\n"
            "          min_amount_cents: 500\n          invoice_display_name: Calls (deal)\n"
            "        - id: storage\n          tax_codes: [low]\n"
            "          filters: []\n"
            "  - {external_id: s2, external_customer_id: c1, plan_code: p, created_at: '2024-01-01'}\n"
        },
    )
    calls = one(catalog, "charges", charge_id="calls@s1@2024-01-01T00:00:00")
    assert (
        calls["parent_charge_id"],
        calls["subscription_external_id"],
        calls["subscription_created_at"],
        json.loads(calls["properties"]),
        calls["min_amount_cents"],
        calls["invoice_display_name"],
        calls["billable_metric_code"],
        calls["charge_model"],
    ) == ("calls", "s1", datetime(2024, 1, 1), {"amount": "0.05"}, 500, "Calls (deal)", "calls", "standard")
    storage = one(catalog, "charges", charge_id="storage@s1@2024-01-01T00:00:00")
    assert json.loads(storage["properties"]) == {"amount": "1"}  # not overridden: the plan's
    # the plan's charges stay, shared by s2 (and by s1 where it overrides nothing)
    assert one(catalog, "charges", charge_id="calls")["subscription_external_id"] is None
    # filters: copied from the plan charge when not given; `filters: []` gives none
    assert [
        (row["charge_id"], json.loads(row["values"]), json.loads(row["properties"]))
        for row in catalog.rows["charge_filters"]
    ] == [
        ("calls", {"region": ["eu"]}, {"amount": "0.20"}),
        ("calls@s1@2024-01-01T00:00:00", {"region": ["eu"]}, {"amount": "0.20"}),
    ]
    # taxes: the plan charge's unless the override gives its own; the plan's replaced per version
    assert sorted(
        (row["owner_type"], row["owner_id"], row["tax_code"])
        for row in catalog.rows["tax_assignments"]
    ) == [
        ("charge", "calls", "vat"),
        ("charge", "calls@s1@2024-01-01T00:00:00", "vat"),
        ("charge", "storage@s1@2024-01-01T00:00:00", "low"),
        ("plan", "p", "vat"),
    ]
    assert one(catalog, "subscriptions", external_id="s1")["plan_tax_codes"] == '["low"]'
    assert one(catalog, "subscriptions", external_id="s2")["plan_tax_codes"] is None


def test_wallet_recurring_transaction_rules_become_one_row_each(tmp_path):
    catalog = catalog_of(
        tmp_path,
        **{
            "w.yaml": (
                "customers:\n  - {external_id: c1, currency: EUR}\n"
                "wallets:\n  - external_customer_id: c1\n    code: main\n    currency: EUR\n"
                "    rate_amount: '1'\n    created_at: '2024-01-31T10:00:00Z'\n"
                "    recurring_transaction_rules:\n"
                "      - {trigger: interval, interval: monthly, granted_credits: '10.5'}\n"
                "      - {trigger: threshold, threshold_credits: '5', paid_credits: '20', method: fixed}\n"
            )
        },
    )
    assert [
        (
            row["wallet_code"], row["position"], row["trigger"], row["interval"], row["method"],
            row["granted_credits"], row["paid_credits"], row["threshold_credits"],
        )
        for row in catalog.rows["wallet_recurring_rules"]
    ] == [
        ("main", 0, "interval", "monthly", "fixed", Decimal("10.5"), None, None),
        ("main", 1, "threshold", None, "fixed", None, Decimal("20"), Decimal("5")),
    ]


@pytest.fixture
def catalog_cache(tmp_path, monkeypatch):
    """The disk cache of parsed catalogs in a directory of the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RATEBOOK_CATALOG_CACHE", raising=False)
    return tmp_path / "cache" / "ratebook" / "catalog"


def test_an_unchanged_catalog_is_read_once_per_process_and_a_changed_one_again(tmp_path, catalog_cache):
    # `billing run` reads the catalog for its default first day and again in its catalog
    # asset: the second read of the same files is the first's result
    data = tmp_path / "data"
    first = catalog_of(data, **{"taxes.yaml": "taxes:\n  - {code: vat, name: VAT, rate: '20'}\n"})
    assert read_catalog(data) is first
    # a rewritten file is read again, and so is a new one
    (data / "catalog" / "taxes.yaml").write_text("taxes:\n  - {code: vat, name: VAT, rate: '21'}\n")
    second = read_catalog(data)
    assert second is not first
    assert one(second, "taxes", code="vat")["rate"] == Decimal("21")
    (data / "catalog" / "more.yaml").write_text("taxes:\n  - {code: gst, name: GST, rate: '5'}\n")
    assert {row["code"] for row in read_catalog(data).rows["taxes"]} == {"vat", "gst"}


def test_the_next_process_reads_an_unchanged_catalog_from_the_disk_cache(
    tmp_path, catalog_cache, monkeypatch
):
    import os

    import dagster_project.lib.catalog as catalog_module

    data = tmp_path / "data"
    text = "taxes:\n  - {code: vat, name: VAT, rate: '20'}\n"
    first = catalog_of(data, **{"taxes.yaml": text})
    assert len(list(catalog_cache.glob("*.pickle"))) == 1
    # a new process: nothing in memory, and parsing would fail the test
    monkeypatch.setattr(catalog_module, "_last_read", None)
    monkeypatch.setattr(catalog_module, "_read_catalog_files", lambda data_dir: pytest.fail("parsed again"))
    assert read_catalog(data).rows == first.rows
    # the same size and modification time but other bytes: parsed again (the key is the content)
    path = data / "catalog" / "taxes.yaml"
    stat = path.stat()
    path.write_text(text.replace("'20'", "'30'"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    monkeypatch.setattr(catalog_module, "_last_read", None)
    with pytest.raises(pytest.fail.Exception, match="parsed again"):
        read_catalog(data)


def test_the_disk_cache_can_be_turned_off(tmp_path, catalog_cache, monkeypatch):
    monkeypatch.setenv("RATEBOOK_CATALOG_CACHE", "0")
    catalog_of(tmp_path / "data", **{"taxes.yaml": "taxes: []\n"})
    assert not catalog_cache.exists()
