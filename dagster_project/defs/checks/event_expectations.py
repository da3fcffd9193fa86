"""The Great Expectations suite over raw usage events, and how its result reads in Dagster.

Bad events never stop a run: ingestion rejects what it cannot parse and billing
reports what it cannot bill (billing.event_errors). This suite watches the landed
events as a whole (required fields, plausible timestamps, known metric codes,
numeric aggregation properties, the duplicate rate) so that a broken producer
shows in the Dagster UI as a failed check on ["raw", "events"].

The frame is built by DuckDB: one row per landed event with the columns the
expectations read; above MAX_ROWS events a reproducible reservoir sample is
validated (flags such as is_duplicate are computed over every event first).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Lago's numeric aggregations and their rule (reference/metering-and-pricing.md §1).
NUMERIC_AGGREGATIONS = ("sum_agg", "max_agg", "latest_agg", "weighted_sum_agg")
PLAIN_DECIMAL = r"^-?\d+(?:\.\d+)?$"
# Event timestamps outside this range are a producer bug (milliseconds sent as seconds, 0).
EARLIEST_TIMESTAMP = datetime(2000, 1, 1)
LATEST_TIMESTAMP = datetime(2100, 1, 1)
MAX_DUPLICATE_RATE = 0.01  # later duplicates of a (subscription, transaction_id) / events
MAX_ROWS = 250_000
SAMPLE_SEED = 42
REQUIRED_COLUMNS = ("transaction_id", "external_subscription_id", "code", "timestamp")

# The landed events (of the run's days, when given) with what the expectations read, or a
# reproducible reservoir sample of them above MAX_ROWS. The sample is drawn first and only
# its rows are then flagged: is_duplicate is 1 when an event with the same (subscription,
# transaction id) came before it (received_at, timestamp, file, row) anywhere in raw.events,
# a lookup of the frame's keys, not a sort of every event (which spilled 23 GB to disk and
# took 229 s of a 371 s ingestion at 100M). The aggregation property is '' when a numeric
# metric's event lacks it, null when the metric is not numeric (expectations skip nulls).
_FRAME_TEMPLATE = f"""
with metrics as (
    select code, aggregation_type, field_name from raw.billable_metrics
),
landed as (
    select
        transaction_id,
        external_subscription_id,
        code,
        "timestamp",
        properties,
        received_at,
        source_file,
        source_row
    from raw.events as events{{events_filter}}
),
framed as (
    select * from landed{{sample}}
),
events as (
    select
        framed.transaction_id,
        framed.external_subscription_id,
        framed.code,
        framed."timestamp",
        case
            when metrics.aggregation_type in {NUMERIC_AGGREGATIONS}
                then coalesce(framed.properties ->> metrics.field_name, '')
        end as numeric_property_text,
        case
            when exists (
                select 1
                from raw.events as earlier
                where
                    earlier.external_subscription_id = framed.external_subscription_id
                    and earlier.transaction_id = framed.transaction_id
                    and (
                        earlier.received_at < framed.received_at
                        or (
                            earlier.received_at = framed.received_at
                            and earlier."timestamp" < framed."timestamp"
                        )
                        or (
                            earlier.received_at = framed.received_at
                            and earlier."timestamp" = framed."timestamp"
                            and earlier.source_file < framed.source_file
                        )
                        or (
                            earlier.received_at = framed.received_at
                            and earlier."timestamp" = framed."timestamp"
                            and earlier.source_file = framed.source_file
                            and earlier.source_row < framed.source_row
                        )
                    )
            ) then 1 else 0
        end as is_duplicate
    from framed
    left join metrics on framed.code = metrics.code
)
select * from events
"""


def _frame(days: tuple[date, date] | None = None, sample_rows: int | None = None) -> str:
    events_filter = "" if days is None else f"\n    where {_in_days('events', *days)}"
    sample = (
        ""
        if sample_rows is None
        else f" using sample reservoir({sample_rows} rows) repeatable ({SAMPLE_SEED})"
    )
    return _FRAME_TEMPLATE.format(events_filter=events_filter, sample=sample)


def _in_days(alias: str, first_day: date, last_day: date) -> str:
    start, end = first_day.isoformat(), (last_day + timedelta(days=1)).isoformat()
    return f"""{alias}."timestamp" >= timestamp '{start}' and {alias}."timestamp" < timestamp '{end}'"""


EVENTS_FRAME_SQL = _frame()
SAMPLED_FRAME_SQL = _frame(sample_rows=MAX_ROWS)


def days_frame_sql(first_day: date, last_day: date) -> str:
    """EVENTS_FRAME_SQL for the events of the UTC days a run landed: a nightly run validates
    its day, not the whole history again. is_duplicate still looks at every event with the
    same (subscription, transaction id), earlier days included."""
    return _frame((first_day, last_day))


def frame_sql(events_count: int, days: tuple[date, date] | None = None) -> str:
    """The query for the validated frame: every event (of `days` when given), or a sample
    above MAX_ROWS (events_count: how many the frame would hold)."""
    return _frame(days, None if events_count <= MAX_ROWS else MAX_ROWS)


def count_sql(days: tuple[date, date] | None = None) -> str:
    """How many landed events the frame covers."""
    if days is None:
        return "select count(*) from raw.events"
    return f"select count(*) from raw.events as events where {_in_days('events', *days)}"


def build_suite(metric_codes: list[str]):
    """The expectations, as a Great Expectations suite."""
    import great_expectations as gx

    expect = gx.expectations
    suite = gx.ExpectationSuite(name="raw_events")
    for column in REQUIRED_COLUMNS:
        suite.add_expectation(expect.ExpectColumnValuesToNotBeNull(column=column))
    suite.add_expectation(
        expect.ExpectColumnValuesToBeBetween(
            column="timestamp", min_value=EARLIEST_TIMESTAMP, max_value=LATEST_TIMESTAMP
        )
    )
    suite.add_expectation(
        expect.ExpectColumnValuesToBeInSet(column="code", value_set=sorted(metric_codes))
    )
    suite.add_expectation(
        expect.ExpectColumnValuesToMatchRegex(column="numeric_property_text", regex=PLAIN_DECIMAL)
    )
    suite.add_expectation(
        expect.ExpectColumnMeanToBeBetween(
            column="is_duplicate", min_value=0, max_value=MAX_DUPLICATE_RATE
        )
    )
    return suite


def validate(frame, metric_codes: list[str]):
    """Runs the suite over a pandas frame in an ephemeral context; returns GE's result."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("raw")
        .add_dataframe_asset("events")
        .add_batch_definition_whole_dataframe("landed")
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(build_suite(metric_codes))


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str
    success: bool
    observed: str

    @property
    def row(self) -> str:
        mark = "pass" if self.success else "**FAIL**"
        return f"| {self.expectation} | {self.column} | {mark} | {self.observed} |"


def outcomes(result) -> list[ExpectationOutcome]:
    """One line per expectation: what it checked and what it saw."""
    lines = []
    for item in result.results:
        config = item.expectation_config
        column = config.kwargs.get("column", "")
        lines.append(ExpectationOutcome(config.type, column, bool(item.success), _observed(item)))
    return lines


def _observed(item) -> str:
    """What one expectation saw: a rate, or how many values broke it with a few examples."""
    details = item.result or {}
    if "observed_value" in details:
        # GE observes no mean over no rows (a billing day without events): None, not a crash.
        observed = details["observed_value"]
        return "observed nothing (no events)" if observed is None else f"observed {float(observed):.4%}"
    unexpected = details.get("unexpected_count", 0)
    total = details.get("element_count", 0)
    examples = ", ".join(repr(value) for value in details.get("partial_unexpected_list", [])[:5])
    return f"{unexpected} of {total} unexpected" + (f" ({examples})" if examples else "")


def report(lines: list[ExpectationOutcome], validated: int, landed: int) -> str:
    """A markdown table for the Dagster UI."""
    sampled = "" if validated == landed else f" (a reservoir sample, seed {SAMPLE_SEED})"
    header = [
        f"Validated {validated:,} of {landed:,} landed events{sampled}.",
        "",
        "| expectation | column | result | observed |",
        "|---|---|---|---|",
    ]
    return "\n".join(header + [line.row for line in lines])
