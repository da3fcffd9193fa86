"""The synthetic data generator (`billing generate`) and the hand-written demo data directory."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.lib import generator
from dagster_project.lib.generator import generate

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_DATA = PROJECT_ROOT / "data"

SMALL = {"customers": 40, "days": 3, "events_per_day": 2000}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, seed=7, **SMALL)
    return out


@pytest.fixture(scope="module")
def generated_again(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated_again") / "data"
    generate(out, seed=7, **SMALL)
    return out


def _catalog_bytes(data_dir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((data_dir / "catalog").glob("*.yaml"))}


def _catalog(data_dir: Path) -> dict:
    merged: dict = {}
    for path in sorted((data_dir / "catalog").glob("*.yaml")):
        merged.update(yaml.safe_load(path.read_text()))
    return merged


def _events_fingerprint(data_dir: Path) -> tuple:
    """Row count and a digest over every column of every event, in a fixed order."""
    with duckdb.connect() as con:
        return con.execute(
            """
            select
                count(*),
                md5(string_agg(
                    concat_ws(
                        '|', transaction_id, external_subscription_id, external_customer_id,
                        code, "timestamp", properties, created_at
                    ),
                    '\n' order by transaction_id
                )),
            from read_parquet($glob)
            """,
            {"glob": str(data_dir / "events" / "**" / "*.parquet")},
        ).fetchone()


def _query(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        con.read_parquet(
            str(data_dir / "events" / "**" / "*.parquet"), hive_partitioning=True
        ).create_view("events")
        return con.execute(sql).fetchall()


# --------------------------------------------------------------------------- determinism


def test_same_seed_writes_byte_identical_catalog_and_the_same_events(generated, generated_again):
    assert _catalog_bytes(generated) == _catalog_bytes(generated_again)
    assert _events_fingerprint(generated) == _events_fingerprint(generated_again)


def test_same_seed_writes_byte_identical_parquet_files(generated, generated_again):
    files = sorted(
        path.relative_to(generated) for path in (generated / "events").rglob("*.parquet")
    )
    assert files
    for path in files:
        assert (generated / path).read_bytes() == (generated_again / path).read_bytes(), path


def test_a_different_seed_writes_a_different_catalog_and_different_events(generated, tmp_path):
    other = tmp_path / "data"
    generate(other, seed=8, **SMALL)
    assert _catalog_bytes(other)["customers.yaml"] != _catalog_bytes(generated)["customers.yaml"]
    assert _events_fingerprint(other)[1] != _events_fingerprint(generated)[1]
    assert _events_fingerprint(other)[0] == _events_fingerprint(generated)[0]


def test_catalog_files_read_back_as_the_catalog_that_was_generated(generated):
    # Customers and the like are written a JSON flow mapping per line (fast at
    # 100,000 customers); YAML must read them back unchanged.
    expected = generator.build_catalog(customers=SMALL["customers"], seed=7, start=date(2024, 1, 1))
    assert _catalog(generated) == expected
    customers = (generated / "catalog" / "customers.yaml").read_text().splitlines()
    assert sum(line.startswith("  - {") for line in customers) == SMALL["customers"]


# --------------------------------------------------------------------------- events


def test_event_count_is_days_times_events_per_day_one_file_per_day(generated):
    files = sorted((generated / "events").glob("date=*/events.parquet"))
    expected_days = [date(2024, 1, 1) + timedelta(days=offset) for offset in range(SMALL["days"])]
    assert [path.parent.name for path in files] == [
        f"date={day.isoformat()}" for day in expected_days
    ]
    rows = _query(
        generated,
        """
        select
            "date",
            count(*),
            count(distinct transaction_id),
            min("timestamp")::date,
            max("timestamp")::date,
        from events
        group by all
        order by 1
        """,
    )
    assert [row[0] for row in rows] == expected_days
    for day, events, distinct_ids, first, last in rows:
        assert (events, distinct_ids, first, last) == (SMALL["events_per_day"],) * 2 + (day, day)
    assert _query(generated, "select count(distinct transaction_id) from events") == [
        (SMALL["days"] * SMALL["events_per_day"],)
    ]


def test_events_have_the_contract_columns_and_types(generated):
    columns = _query(
        generated,
        'select column_name, column_type from (describe select * exclude ("date") from events)',
    )
    assert columns == [
        ("transaction_id", "VARCHAR"),
        ("external_subscription_id", "VARCHAR"),
        ("external_customer_id", "VARCHAR"),
        ("code", "VARCHAR"),
        ("timestamp", "TIMESTAMP"),
        ("properties", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
    ]


def test_every_event_names_a_catalog_metric_charged_on_its_subscriptions_plan(generated):
    catalog = _catalog(generated)
    plan_of = {sub["external_id"]: sub["plan_code"] for sub in catalog["subscriptions"]}
    customer_of = {
        sub["external_id"]: sub["external_customer_id"] for sub in catalog["subscriptions"]
    }
    charged = {
        (plan["code"], charge["billable_metric_code"])
        for plan in catalog["plans"]
        for charge in plan["charges"]
    }
    seen = _query(
        generated,
        "select distinct external_subscription_id, external_customer_id, code from events",
    )
    assert seen
    for subscription, customer, code in seen:
        assert subscription in plan_of, subscription
        assert customer == customer_of[subscription]
        assert (plan_of[subscription], code) in charged, (subscription, code)


def test_event_properties_carry_each_metrics_field_as_its_aggregation_needs(generated):
    metrics = {metric["code"]: metric for metric in _catalog(generated)["billable_metrics"]}
    rows = _query(generated, "select code, properties from events")
    assert {code for code, _ in rows} == set(metrics)  # every metric gets events at this size
    for code, text in rows:
        properties = json.loads(text)
        metric = metrics[code]
        if metric["aggregation_type"] == "count_agg":
            continue
        value = properties[metric["field_name"]]
        if metric["aggregation_type"] == "unique_count_agg":
            assert isinstance(value, str) and value
        else:
            # Lago counts a value only when its text matches ^-?\d+(\.\d+)?$
            assert isinstance(value, (int, float)), (code, text)
            assert json.dumps(value).lstrip("-").replace(".", "", 1).isdigit(), (code, text)


def test_a_few_subscriptions_send_most_events(generated):
    shares = [
        count
        for (count,) in _query(
            generated,
            "select count(*) from events group by external_subscription_id order by 1 desc",
        )
    ]
    top_tenth = shares[: max(1, len(shares) // 10)]
    assert sum(top_tenth) > 0.25 * sum(shares)


# --------------------------------------------------------------------------- catalog


def _walk(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _walk(item, f"{path}[{position}]")
    else:
        yield path, value


@pytest.mark.parametrize("data_dir", ["generated", "demo"])
def test_catalog_money_is_integer_cents_and_no_number_is_a_float(data_dir, generated):
    directory = generated if data_dir == "generated" else DEMO_DATA
    for path, value in _walk(_catalog(directory)):
        assert not isinstance(value, float), f"{path} is a float: {value!r}"
        if path.endswith("amount_cents"):
            assert isinstance(value, int), f"{path} is not integer cents: {value!r}"


def test_generated_catalog_covers_every_aggregation_and_plan_shape(generated):
    catalog = _catalog(generated)
    assert {metric["aggregation_type"] for metric in catalog["billable_metrics"]} == {
        "count_agg",
        "sum_agg",
        "max_agg",
        "unique_count_agg",
        "weighted_sum_agg",
        "latest_agg",
    }
    plans = catalog["plans"]
    assert {(plan["interval"], plan["pay_in_advance"]) for plan in plans} >= {
        ("monthly", True),
        ("monthly", False),
        ("yearly", True),
        ("yearly", False),
    }
    models = Counter(charge["charge_model"] for plan in plans for charge in plan["charges"])
    assert models["graduated"] == 1 and models["package"] == 1
    assert models["standard"] > models["graduated"] + models["package"]
    assert {customer["currency"] for customer in catalog["customers"]} == {"USD", "EUR"}
    assert {sub["external_customer_id"] for sub in catalog["subscriptions"]} == {
        customer["external_id"] for customer in catalog["customers"]
    }
    assert {sub["subscription_at"] for sub in catalog["subscriptions"]} == {"2024-01-01T00:00:00Z"}
    currency_of = {
        customer["external_id"]: customer["currency"] for customer in catalog["customers"]
    }
    plan_currency = {plan["code"]: plan["amount_currency"] for plan in plans}
    for sub in catalog["subscriptions"]:
        assert plan_currency[sub["plan_code"]] == currency_of[sub["external_customer_id"]]
    assert catalog["coupons"] and catalog["applied_coupons"] and catalog["wallets"]


def test_read_catalog_loads_the_demo_and_a_generated_catalog_without_errors_or_warnings(generated):
    catalog_module = pytest.importorskip("dagster_project.lib.catalog")
    for data_dir in (DEMO_DATA, generated):
        catalog = catalog_module.read_catalog(data_dir)  # raises CatalogError when invalid
        assert catalog.warnings == [], data_dir
        assert catalog.rows["subscriptions"], data_dir


# --------------------------------------------------------------------------- output directory


def test_generate_refuses_a_directory_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not written by `billing generate`"):
        generate(tmp_path, customers=2, days=1, events_per_day=10)
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_generate_replaces_its_own_earlier_output(tmp_path):
    generate(tmp_path, customers=5, days=3, events_per_day=10)
    stats = generate(tmp_path, customers=5, days=1, events_per_day=10)
    assert len(list((tmp_path / "events").glob("date=*"))) == 1
    assert stats.events == 10 and stats.event_files == 1
    assert "5 customers" in stats.summary() and "10 events" in stats.summary()


# --------------------------------------------------------------------------- demo data


def _demo_event_lines() -> list[tuple[str, int, str]]:
    return [
        (path.name, number, line)
        for path in sorted((DEMO_DATA / "events").glob("*.jsonl"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
    ]


def test_demo_events_use_every_subscription_and_only_catalog_metrics():
    catalog = _catalog(DEMO_DATA)
    subscriptions = {sub["external_id"] for sub in catalog["subscriptions"]}
    metrics = {metric["code"] for metric in catalog["billable_metrics"]}
    events = []
    for _, _, line in _demo_event_lines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    assert {event["external_subscription_id"] for event in events} - subscriptions == {
        "sub_globex_staging"
    }
    assert subscriptions <= {event["external_subscription_id"] for event in events}
    assert {event["code"] for event in events} == metrics
    charged = {
        charge["billable_metric_code"] for plan in catalog["plans"] for charge in plan["charges"]
    }
    assert charged == metrics  # every metric is used by at least one charge


def test_demo_events_hold_exactly_the_bad_lines_their_readme_describes():
    lines = _demo_event_lines()
    invalid, keys = [], Counter()
    for name, number, line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            invalid.append((name, number))
            continue
        keys[(event["external_subscription_id"], event["transaction_id"])] += 1
    assert invalid == [("2024-02.jsonl", 29)]
    assert [key for key, count in keys.items() if count > 1] == [
        ("sub_globex_starter", "glx_202404_0001")
    ]
    readme = (DEMO_DATA / "events" / "README.md").read_text()
    for reference in (
        "`2024-02.jsonl`, line 29",
        "`2024-03.jsonl`, line 53",
        "`2024-04.jsonl`, line 20",
    ):
        assert reference in readme
    line_at = {(name, number): line for name, number, line in lines}
    assert '"sub_globex_staging"' in line_at[("2024-03.jsonl", 53)]
    assert f"{len(lines)} lines" in readme


def test_demo_subscriptions_start_on_the_first_of_a_month_in_early_2024():
    for sub in _catalog(DEMO_DATA)["subscriptions"]:
        assert sub["subscription_at"] in {
            "2024-01-01T00:00:00Z",
            "2024-02-01T00:00:00Z",
            "2024-03-01T00:00:00Z",
        }
        assert sub["created_at"] == sub["subscription_at"]
