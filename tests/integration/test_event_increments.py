"""The incremental event models give, run after run, the rows a full build gives.

`int_events_deduplicated`, `int_events_validated` and `int_usage_events_assigned` are
dbt incremental models (macros/event_increments.sql): a run computes again only the
transaction keys it can change. Each step below changes the raw data or the window the
way a user does (a day landed again with an event more and one less, late events, a
catalog edit, a rerun of an earlier day), runs the increment, checks how many keys it
computed again (worked by hand from the scenario of dbt_scratch_scenario.py), then builds
the same warehouse with `--full-refresh` and checks that every row is the same.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest

from tests.integration.dbt_scratch_scenario import write_scenario

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("int_events_deduplicated", "int_events_validated", "int_usage_events_assigned")


def _release_warehouse() -> None:
    """dbt-duckdb keeps its database open in the process after a run (a class attribute);
    close it, so that the checks below and the next run can open the file."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _dbt(
    warehouse: Path,
    target: Path,
    as_of: str,
    full_refresh: bool = False,
    select: str = "+int_usage_events_assigned",
) -> str:
    """`dbt run` in this process (dbt's programmatic runner: 2 s a run instead of 5 s for
    a new interpreter); returns what the models' hooks logged."""
    from dbt.cli.main import dbtRunner

    logged: list[str] = []

    def collect(event) -> None:
        if event.info.name == "JinjaLogInfo":
            logged.append(event.info.msg)

    window = {
        "BILLING_WAREHOUSE": str(warehouse),
        "BILLING_WINDOW_FROM": "2024-01-01",
        "BILLING_WINDOW_TO": as_of[:10],
        "BILLING_WINDOW_AS_OF": as_of,
    }
    saved = {name: os.environ.get(name) for name in window}
    cwd = os.getcwd()
    args = ["run", "--quiet", "--profiles-dir", ".", "--target-path", str(target)]
    args += ["--select", *select.split()]
    args += ["--full-refresh"] if full_refresh else []
    try:
        os.environ.update(window)
        os.chdir(ROOT / "dbt_project")
        result = dbtRunner(callbacks=[collect]).invoke(args)
    finally:
        _release_warehouse()
        os.chdir(cwd)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    assert result.success, result.exception or result.result
    return "\n".join(logged)


def _rows(warehouse: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            model: sorted(
                repr(row)
                for row in con.execute(
                    f"select * exclude (computed_at) from intermediate.{model}"
                ).fetchall()
            )
            for model in MODELS
        }


def _plans(log: str) -> dict[str, str]:
    """What each model's pre-hook said: '<n> keys' or 'every row: <reason>'."""
    plans = {}
    for model in MODELS:
        keys = re.search(rf"{model}: (\d+) transaction keys computed again", log)
        refill = re.search(rf"{model}: every row computed again \(([^)]*)\)", log)
        if keys:
            plans[model] = f"{keys.group(1)} keys"
        else:
            plans[model] = f"every row: {refill.group(1)}" if refill else "built"
    return plans


def _execute(warehouse: Path, *statements: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        for statement in statements:
            con.execute(statement)


@pytest.fixture(scope="module")
def steps(tmp_path_factory):
    """Runs every step once; each test checks one of them."""
    root = tmp_path_factory.mktemp("increments")
    warehouse, target = root / "warehouse.duckdb", root / "target"
    write_scenario(str(warehouse))
    results = {}

    def step(name: str, as_of: str) -> None:
        log = _dbt(warehouse, target, as_of)
        incremental = _rows(warehouse)
        _dbt(warehouse, target, as_of, full_refresh=True)
        results[name] = (_plans(log), incremental, _rows(warehouse))

    # 1. the first build, as of 2024-02-01: every table is created
    results["first"] = (_plans(_dbt(warehouse, target, "2024-02-01 00:00:00")), None, None)

    # 2. a month later, days landed again: 2024-01-17 lost s2; 2024-01-20 gained a copy of
    #    t2 received an hour before the first (the first becomes the duplicate); 2024-01-28
    #    gained t9, received on 2024-02-15 (after the January invoice was finalized)
    _execute(
        warehouse,
        "delete from raw.events where transaction_id = 's2'",
        """insert into raw.events (event_date, transaction_id, external_subscription_id, code,
               "timestamp", properties, received_at, source_file, source_row)
           values
           ('2024-01-20', 't2', 'sub_acme', 'api_calls', '2024-01-20 12:00:00', '{}',
            '2024-01-20 11:00:00', 'events/f.jsonl', 1),
           ('2024-01-28', 't9', 'sub_acme', 'api_calls', '2024-01-28 00:00:00', '{}',
            '2024-02-15 00:00:00', 'events/f.jsonl', 2)""",
    )
    step("landed", "2024-03-01 00:00:00")

    # 3. the same as_of, a catalog edit: sub_acme is terminated on 2024-02-20
    _execute(
        warehouse,
        "update raw.subscriptions set terminated_at = '2024-02-20 00:00:00'"
        " where external_id = 'sub_acme'",
    )
    step("terminated", "2024-03-01 00:00:00")

    # 4. an earlier day run again: as_of moves back to 2024-02-15
    step("rerun", "2024-02-15 00:00:00")
    return results


def test_the_first_run_creates_the_tables(steps):
    plans, _, _ = steps["first"]
    assert plans == {model: "built" for model in MODELS}


def test_a_landing_computes_again_the_keys_of_changed_days_and_later_events(steps):
    plans, incremental, full = steps["landed"]
    # Keys of the days landed again: s2 (gone), t2 (two copies now), t9 (new) = 3; keys
    # with an event received or timestamped at or after the last as_of (2024-02-01):
    # t5, t6, t7 (received 02-05), t8, s5, s6 of sub_acme, u1 of sub_nobody, m1, g1 and
    # g2 of sub_globex, b1 of sub_acme_basic = 11 (t9 already counted): 14 in all.
    # Validation and assignment read deduplication's rows, which leave out t8 (received
    # 2024-04-02), g2 and b1 (received in March), none known as of 2024-03-01: 11 keys
    # (the periods before 2024-02-01 and the charges did not change).
    assert plans == {
        "int_events_deduplicated": "14 keys",
        "int_events_validated": "11 keys",
        "int_usage_events_assigned": "11 keys",
    }
    assert incremental == full


def test_a_catalog_edit_computes_again_the_events_of_its_subscription(steps):
    plans, incremental, full = steps["terminated"]
    # Deduplication reads no catalog and no event changed; it ranks again only the keys
    # still unknown as of 2024-03-01 (t8, g2, b1): 3. Validation: every key of sub_acme
    # that deduplication holds: t1..t7 and t9 (8; t8 is not known yet), s1, s3, s4, s5,
    # s6 (s2 is gone: 5), m1 = 14; assignment follows.
    assert plans == {
        "int_events_deduplicated": "3 keys",
        "int_events_validated": "14 keys",
        "int_usage_events_assigned": "14 keys",
    }
    assert incremental == full


def test_a_rerun_of_an_earlier_day_computes_every_row_again(steps):
    plans, incremental, full = steps["rerun"]
    reason = "every row: as_of 2024-02-15 00:00:00 is before the last build's 2024-03-01 00:00:00"
    assert plans == {model: reason for model in MODELS}
    assert incremental == full


def test_the_increments_agree_with_the_scenario_worked_by_hand(steps):
    # the landing step's rows (equal to the full build's): t2's later-received first copy
    # is now the duplicate; t9 was received after the January invoice was finalized
    _, incremental, _ = steps["landed"]
    validated = [
        row for row in incremental["int_events_validated"] if "'t2'" in row or "'t9'" in row
    ]
    duplicates = [row for row in validated if "duplicate_transaction_id" in row]
    assert len(duplicates) == 1 and "'events/e.jsonl'" in duplicates[0]  # the first copy
    late = [row for row in validated if "late_for_finalized_invoice" in row]
    assert len(late) == 1 and "'t9'" in late[0]
    assert not any("'s2'" in row for rows in incremental.values() for row in rows)


def _days(warehouse: Path) -> dict[str, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select strftime(event_date, '%Y-%m-%d'), event_count, content_hash, landing_id"
            " from intermediate.int_event_days_summarized"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def _hashed_again(log: str) -> int:
    return int(re.search(r"int_event_days_summarized: (\d+) event dates hashed again", log)[1])


def test_the_day_summaries_hash_again_only_the_dates_landed_or_counted_differently(
    tmp_path: Path,
) -> None:
    """int_event_days_summarized (macros/event_days.sql). The scenario's 16 event dates all
    have a landing row but 2024-03-30's (written outside the landing: hashed every run)."""
    warehouse, target = tmp_path / "warehouse.duckdb", tmp_path / "target"
    write_scenario(str(warehouse))
    _execute(
        warehouse,
        "insert into raw.event_landings select distinct event_date, 'first', null"
        " from raw.events where event_date <> '2024-03-30'",
    )
    as_of = "2024-04-01 00:00:00"
    _dbt(warehouse, target, as_of)
    built = _days(warehouse)
    assert len(built) == 16
    assert built["2024-01-18"][2] == "first" and built["2024-03-30"][2] is None

    # s3 (2024-01-18) changed in place, as many events, same landing: unseen (the landing
    # is raw.events' only writer); s4's date 2024-01-19 landed again; 2024-01-17 lost its
    # only event (s2) and its landing row, as a landing does; 2024-01-20 gained an event
    # from outside the landing (its count changed)
    _execute(
        warehouse,
        """update raw.events set properties = '{"gb": 7}' where transaction_id = 's3'""",
        """update raw.events set properties = '{"gb": 8}' where transaction_id = 's4'""",
        "update raw.event_landings set landing_id = 'second' where event_date = '2024-01-19'",
        "delete from raw.events where transaction_id = 's2'",
        "delete from raw.event_landings where event_date = '2024-01-17'",
        """insert into raw.events (event_date, transaction_id, external_subscription_id, code,
               "timestamp", properties, received_at, source_file, source_row)
           values ('2024-01-20', 't10', 'sub_acme', 'api_calls', '2024-01-20 13:00:00', '{}',
                   '2024-01-20 13:00:00', 'events/g.jsonl', 1)""",
    )
    # 2024-01-17 (gone), 2024-01-19 (landing), 2024-01-20 (count), 2024-03-30 (no landing)
    assert _hashed_again(_dbt(warehouse, target, as_of)) == 4
    incremental = _days(warehouse)
    _dbt(warehouse, target, as_of, full_refresh=True)
    full = _days(warehouse)
    assert "2024-01-17" not in incremental and len(incremental) == 15
    assert incremental["2024-01-19"] == full["2024-01-19"] != built["2024-01-19"]
    assert incremental["2024-01-20"] == full["2024-01-20"]
    assert incremental["2024-01-20"][0] == 2  # t2 and t10
    assert incremental["2024-01-18"] == built["2024-01-18"] != full["2024-01-18"]
    assert {day: row for day, row in incremental.items() if day != "2024-01-18"} == {
        day: row for day, row in full.items() if day != "2024-01-18"
    }

    # nothing changed: only the date without a landing row
    assert _hashed_again(_dbt(warehouse, target, as_of)) == 1
