"""The Great Expectations suite over raw.events when the landed window holds no event."""

import pandas as pd

from dagster_project.defs.checks.event_expectations import outcomes, validate


def test_a_window_without_events_reports_instead_of_crashing():
    # Regression: a UI backfill of billing days without events (2024-06-28..30 of the demo data,
    # on a fresh warehouse) failed the run: GE observes the duplicate-rate mean as None on no
    # rows and the report did float(None).
    columns = {
        "transaction_id": "object",
        "external_subscription_id": "object",
        "code": "object",
        "timestamp": "datetime64[us]",
        "numeric_property_text": "object",
        "is_duplicate": "int64",
    }
    frame = pd.DataFrame({name: pd.Series([], dtype=kind) for name, kind in columns.items()})
    lines = outcomes(validate(frame, ["api_calls"]))
    [mean] = [line for line in lines if line.column == "is_duplicate"]
    assert mean.observed == "observed nothing (no events)"
