"""The incremental usage models give, run after run, the rows a full build gives.

`int_usage_events_totaled`, `int_usage_history_periods_totaled`, `int_usage_values_operated`
and `int_usage_weighted_sum_events_listed` are dbt incremental models keyed by charge period
(macros/usage_increments.sql): a run merges the aggregates (or, for the weighted sum's
events, the rows) of the events assigned since its last build into the rows of their
periods, and aggregates again from all their events only the periods that lost events.
`int_usage_weighted_sum_aggregated` computes again whole the periods whose events, starting
level or definition changed. The scenario of dbt_scratch_scenario.py gets a recurring unique
count (`seats`), a weighted sum (`cpus`) and a recurring one (`gpus`), on sub_acme's
pro_monthly plan (calendar months from 2024-01-15 10:00); each step changes the events (or,
the last, the subscription) the way a landing does, runs the increment, checks how many
periods it merged and aggregated again (worked by hand), then builds the same warehouse with
`--full-refresh` and checks that every row is the same, the accumulated history and the
weighted sums included.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.integration.dbt_scratch_scenario import write_scenario
from tests.integration.test_event_increments import _dbt, _execute

USAGE_MODELS = (
    "int_usage_events_totaled",
    "int_usage_history_periods_totaled",
    "int_usage_values_operated",
    "int_usage_weighted_sum_events_listed",
)
COMPARED = (*USAGE_MODELS, "int_usage_history_accumulated", "int_usage_weighted_sum_aggregated")
SELECT = (
    "+int_usage_history_accumulated +int_usage_events_totaled +int_usage_weighted_sum_aggregated"
)
# the full builds compared with: these models alone, from the same assigned events (the
# assignment's own increments are checked by test_event_increments.py)
REBUILT = " ".join(COMPARED)
WEIGHTED = "int_usage_weighted_sum_aggregated"  # incremental by period, computed again whole


def _seat(transaction_id: str, at: str, seat: str, operation: str, received_at: str) -> str:
    properties = json.dumps({"seat": seat, "operation_type": operation})
    return (
        f"('{at[:10]}', '{transaction_id}', 'sub_acme', 'seats', '{at}', '{properties}',"
        f" '{received_at}', 'events/seats.jsonl', {int(transaction_id[1:])})"
    )


def _level(transaction_id: str, at: str, change: str, code: str = "cpus") -> str:
    """A weighted sum event: the level of sub_acme's `code` (cpus, or the recurring gpus)
    changes by `change` at `at`."""
    return (
        f"('{at[:10]}', '{transaction_id}', 'sub_acme', '{code}', '{at}',"
        f" '{json.dumps({code: change})}', '{at}', 'events/{code}.jsonl', {int(transaction_id[1:])})"
    )


def _insert_seats(*rows: str) -> str:
    return (
        "insert into raw.events (event_date, transaction_id, external_subscription_id, code,"
        ' "timestamp", properties, received_at, source_file, source_row) values '
        + ", ".join(rows)
    )


def _rows(warehouse: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            model: sorted(
                repr(row) for row in con.execute(f"select * from intermediate.{model}").fetchall()
            )
            for model in COMPARED
        }


def _plans(log: str) -> dict[str, str]:
    """What each usage model's pre-hook said: '<n> merged, <m> again' (periods merged with
    their new events, periods aggregated again from all theirs) or 'every period: <reason>'."""
    plans = {}
    for model in USAGE_MODELS:
        periods = re.search(
            rf"{model}: (\d+) charge periods merged with their new events, (\d+) aggregated again",
            log,
        )
        refill = re.search(rf"{model}: every period aggregated again \(([^)]*)\)", log)
        if periods:
            plans[model] = f"{periods.group(1)} merged, {periods.group(2)} again"
        else:
            plans[model] = f"every period: {refill.group(1)}" if refill else "built"
    # the weighted sum: '<n> again' (periods computed again from all their events)
    periods = re.search(rf"{WEIGHTED}: (\d+) charge periods computed again", log)
    refill = re.search(rf"{WEIGHTED}: every period computed again \(([^)]*)\)", log)
    if periods:
        plans[WEIGHTED] = f"{periods.group(1)} again"
    else:
        plans[WEIGHTED] = f"every period: {refill.group(1)}" if refill else "built"
    return plans


def _february_calls(warehouse: Path) -> int | None:
    """sub_acme's API calls counted in February (pro_monthly:0), from the totals."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            """
            select totals.events_count
            from intermediate.int_usage_events_totaled as totals
            inner join intermediate.int_charge_periods_expanded as periods
                on totals.charge_period_id = periods.charge_period_id
            where periods.charge_id = 'pro_monthly:0'
                and periods.charges_from_datetime = timestamp '2024-02-01'
            """
        ).fetchone()
    return row and row[0]


def _february_levels(warehouse: Path) -> dict[str, Decimal]:
    """sub_acme's weighted CPUs (pro_monthly:3) and GPUs (pro_monthly:4) in February."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """
            select periods.charge_id, weighted.units
            from intermediate.int_usage_weighted_sum_aggregated as weighted
            inner join intermediate.int_charge_periods_expanded as periods
                on weighted.charge_period_id = periods.charge_period_id
            where periods.charge_id in ('pro_monthly:3', 'pro_monthly:4')
                and periods.charges_from_datetime = timestamp '2024-02-01'
            """
        ).fetchall()
    names = {"pro_monthly:3": "cpus", "pro_monthly:4": "gpus"}
    return {names[charge_id]: units for charge_id, units in rows}


def _active_seats(warehouse: Path) -> list[tuple[str, int]]:
    """sub_acme's seats still added at each period end (the recurring unique count)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            """
            select strftime(periods.charges_from_datetime, '%Y-%m-%d'), history.active_values_count
            from intermediate.int_usage_history_accumulated as history
            inner join intermediate.int_charge_periods_expanded as periods
                on history.charge_period_id = periods.charge_period_id
            where periods.charge_id = 'pro_monthly:2'
            order by 1
            """
        ).fetchall()


@pytest.fixture(scope="module")
def steps(tmp_path_factory):
    """Runs every step once; each test checks one of them."""
    root = tmp_path_factory.mktemp("usage_increments")
    warehouse, target = root / "warehouse.duckdb", root / "target"
    write_scenario(str(warehouse))
    _execute(
        warehouse,
        "insert into raw.billable_metrics (code, name, aggregation_type, field_name, recurring)"
        " values ('seats', 'Seats', 'unique_count_agg', 'seat', true),"
        " ('cpus', 'CPUs', 'weighted_sum_agg', 'cpus', false),"
        " ('gpus', 'GPUs', 'weighted_sum_agg', 'gpus', true)",
        "insert into raw.charges (charge_id, plan_code, position, billable_metric_code,"
        """ charge_model, properties) values ('pro_monthly:2', 'pro_monthly', 2, 'seats',"""
        """ 'standard', '{"amount": "3"}'), ('pro_monthly:3', 'pro_monthly', 3, 'cpus',"""
        """ 'standard', '{"amount": "2"}'), ('pro_monthly:4', 'pro_monthly', 4, 'gpus',"""
        """ 'standard', '{"amount": "5"}')""",
        _insert_seats(
            _seat("e1", "2024-01-20 00:00:00", "A", "add", "2024-01-20 00:00:00"),
            _seat("e2", "2024-01-25 00:00:00", "B", "add", "2024-01-25 00:00:00"),
            _seat("e3", "2024-02-05 00:00:00", "A", "remove", "2024-02-05 00:00:00"),
            _seat("e4", "2024-02-10 00:00:00", "C", "add", "2024-02-10 00:00:00"),
            _level("w1", "2024-01-20 00:00:00", "2"),
            _level("w2", "2024-02-05 00:00:00", "3"),
            _level("r0", "2024-01-20 00:00:00", "1", "gpus"),
            _level("r1", "2024-01-25 00:00:00", "4", "gpus"),
        ),
    )
    results, calls, levels = {}, {}, {}

    def step(name: str, as_of: str, rebuild: bool = True) -> None:
        log = _dbt(warehouse, target, as_of, select=SELECT)
        incremental, seats = _rows(warehouse), _active_seats(warehouse)
        calls[name], levels[name] = _february_calls(warehouse), _february_levels(warehouse)
        full = None
        if rebuild:
            _dbt(warehouse, target, as_of, full_refresh=True, select=REBUILT)
            full = _rows(warehouse)
        results[name] = (_plans(log), incremental, full, seats)

    # 1. the first build, as of 2024-02-01
    results["first"] = (
        _plans(_dbt(warehouse, target, "2024-02-01 00:00:00", select=SELECT)),
        None,
        None,
        _active_seats(warehouse),
    )
    # 2. a month later, without a change of the events
    step("month", "2024-03-01 00:00:00")
    # 3. the same as_of, 2024-01-25 landed again without e2; in February a seat added (D),
    #    C removed, and an API call more (t10)
    _execute(
        warehouse,
        "delete from raw.events where transaction_id in ('e2', 'r1')",
        _insert_seats(
            _seat("e5", "2024-02-12 00:00:00", "D", "add", "2024-02-12 00:00:00"),
            _seat("e6", "2024-02-20 00:00:00", "C", "remove", "2024-02-20 00:00:00"),
            _level("w3", "2024-02-25 00:00:00", "-1"),
        ),
        """insert into raw.events (event_date, transaction_id, external_subscription_id, code,
               "timestamp", properties, received_at, source_file, source_row)
           values ('2024-02-25', 't10', 'sub_acme', 'api_calls', '2024-02-25 00:00:00', '{}',
                   '2024-02-25 00:00:00', 'events/g.jsonl', 1)""",
    )
    step("landed", "2024-03-01 00:00:00")
    # 4. nothing changed: the increment keeps the rows step 3's full build left
    step("unchanged", "2024-03-01 00:00:00", rebuild=False)
    # 5. an earlier day run again: as_of moves back, the assignment computes every row again
    step("rerun", "2024-02-15 00:00:00")
    # 6. sub_acme terminated on 2024-02-20 12:00: its February periods end then
    _execute(
        warehouse,
        "update raw.subscriptions set terminated_at = timestamp '2024-02-20 12:00:00'"
        " where external_id = 'sub_acme'",
    )
    step("terminated", "2024-03-01 00:00:00")
    results["february_calls"], results["february_levels"] = calls, levels
    return results


def test_the_first_run_creates_the_tables(steps):
    plans, _, _, seats = steps["first"]
    assert plans == {**{model: "built" for model in USAGE_MODELS}, WEIGHTED: "built"}
    # as of 2024-02-01: January's period (from 2024-01-15) holds A and B added; February's
    # starts at as_of, so it is not there yet
    assert seats == [("2024-01-15", 2)]


def test_a_new_month_aggregates_again_the_periods_of_its_new_events(steps):
    plans, incremental, full, seats = steps["month"]
    assert incremental == full
    assert seats == [("2024-01-15", 2), ("2024-02-01", 2)]  # A removed, C added
    # The assignment computes again the keys timestamped or received since 2024-02-01 that
    # are billable as of 2024-03-01: t5 and t6 (api_calls, February of pro_monthly:0), s5
    # and s6 (storage_gb, February of pro_monthly:1), g1 (team_api, globex's year), e3
    # and e4 (seats, February of pro_monthly:2), w2 (cpus, February of pro_monthly:3):
    # 5 periods, the same for every model (the events' home period is their bucket), each
    # merged with its kept rows; no event was deleted, so no period is aggregated again
    # from all its events.
    # The weighted sum computes again February of pro_monthly:3 (w2) and of pro_monthly:4,
    # new, which starts from the level January left (gpus is recurring).
    assert plans == {**{model: "5 merged, 0 again" for model in USAGE_MODELS}, WEIGHTED: "2 again"}
    # February (29 days, 2505600 s) of pro_monthly:3: 3 CPUs from Feb 5 to Mar 1 (25
    # days) = 3 x 2160000 / 2505600 = 2.58620689655172413... (16 decimals, rounded); of
    # pro_monthly:4: January's r0 + r1 = 1 + 4 GPUs held the whole period = 5
    assert steps["february_levels"]["month"] == {
        "cpus": Decimal("2.5862068965517241"),
        "gpus": Decimal("5"),
    }


def test_a_landing_aggregates_again_the_periods_of_events_gone_and_new(steps):
    plans, incremental, full, seats = steps["landed"]
    assert incremental == full
    # January: A only; February: D only (A removed by e3, C added by e4 then removed by e6)
    assert seats == [("2024-01-15", 1), ("2024-02-01", 1)]
    # Rows deleted, so periods aggregated again from all their events (the change log):
    # e2's, January of pro_monthly:2; r1's, January of pro_monthly:4 (gpus); s6's, February
    # of pro_monthly:1 (storage), as its day 2024-02-20 landed again with e6. Merged: e5
    # and e6 into February of pro_monthly:2
    # (C's kept add and e6's later remove: the remove wins), t10 into February of
    # pro_monthly:0 (t5 and t6 kept), w3 into February of pro_monthly:3 (w2 kept; its day
    # 2024-02-25 is t10's, where nothing was before). The keys still unknown or not
    # billable (t8, g2, b1) have no row to change.
    # The weighted sum computes again February of pro_monthly:3 (w3), January of
    # pro_monthly:4 (r1 gone) and February of pro_monthly:4 (its starting level, 5 -> 1).
    assert plans == {**{model: "3 merged, 3 again" for model in USAGE_MODELS}, WEIGHTED: "3 again"}
    # February of pro_monthly:3 with w3 (-1 on Feb 25): 3 CPUs for 20 days, then 2 for 5,
    # each weight rounded at 16 decimals as Postgres divides:
    #   3 x 1728000 / 2505600 = 2.06896551724137931... -> 2.0689655172413793
    #   2 x  432000 / 2505600 = 0.34482758620689655... -> 0.3448275862068966
    #   sum                                               2.4137931034482759
    # and of pro_monthly:4, r0's 1 GPU the whole period
    assert steps["february_levels"]["landed"] == {
        "cpus": Decimal("2.4137931034482759"),
        "gpus": Decimal("1"),
    }
    # t5 and t6 before (t7, received late, is not billable), t10 merged with them
    assert (steps["february_calls"]["month"], steps["february_calls"]["landed"]) == (2, 3)


def test_nothing_changed_aggregates_nothing_again(steps):
    plans, incremental, _, _ = steps["unchanged"]
    assert incremental == steps["landed"][2]  # the full build of the same events
    assert plans == {**{model: "0 merged, 0 again" for model in USAGE_MODELS}, WEIGHTED: "0 again"}


def test_an_assignment_computed_again_in_full_aggregates_every_period_again(steps):
    plans, incremental, full, seats = steps["rerun"]
    assert incremental == full
    # as of 2024-02-15 every seat event is before as_of: January A (B is gone), February
    # C and D (A removed by e3): the same counts as of 2024-03-01
    assert seats == [("2024-01-15", 1), ("2024-02-01", 2)]
    reason = "every period: int_usage_events_assigned was built again since "
    assert all(plan.startswith(reason) for plan in plans.values()), plans


def test_a_redefined_period_is_computed_again_without_new_events(steps):
    plans, incremental, full, _ = steps["terminated"]
    assert incremental == full
    # sub_acme's catalog changed, so the assignment computes again all its events (w1, w2,
    # r0; w3 comes after the termination): January and February of pro_monthly:3, January
    # of pro_monthly:4. February of pro_monthly:4 has no event, and January leaves it the
    # same level: only its definition changed (it ends on Feb 20 at 12:00).
    assert plans[WEIGHTED] == "4 again"
    # February (still 29 days long, 2505600 s) up to Feb 20 12:00:
    #   cpus: 3 x 1339200 (Feb 5 to Feb 20 12:00) / 2505600 = 1.60344827586206896... -> 1.6034482758620690
    #   gpus: 1 x 1684800 (Feb 1 to Feb 20 12:00) / 2505600 = 0.67241379310344827... -> 0.6724137931034483
    assert steps["february_levels"]["terminated"] == {
        "cpus": Decimal("1.6034482758620690"),
        "gpus": Decimal("0.6724137931034483"),
    }
