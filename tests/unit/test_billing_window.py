"""Which billing days a run acts on: its tags, else the latest landed event partition."""

from datetime import date

import dagster as dg
import pytest

from dagster_project.defs.partitions import NoBillingDayError, run_billing_window, window_from_tags
from dagster_project.lib.dbt_vars import BillingWindow


def test_a_range_run_acts_on_its_range():
    tags = {
        "dagster/asset_partition_range_start": "2024-01-01",
        "dagster/asset_partition_range_end": "2024-03-31",
    }
    assert window_from_tags(tags) == BillingWindow(date(2024, 1, 1), date(2024, 3, 31))


def test_a_one_partition_run_acts_on_that_day():
    assert window_from_tags({"dagster/partition": "2024-02-29"}) == BillingWindow(
        date(2024, 2, 29), date(2024, 2, 29)
    )


def test_a_run_without_billing_days_has_no_window_in_its_tags():
    assert window_from_tags({"dagster/backfill": "abc"}) is None


@dg.asset(key=["raw", "events"], partitions_def=dg.DailyPartitionsDefinition(start_date="2024-01-01"))
def fake_landing() -> None:
    return None


@dg.asset(deps=[fake_landing])
def acts_as_of(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    window = run_billing_window(context)
    return dg.MaterializeResult(metadata={"last_day": window.last_day.isoformat()})


def _last_day(result: dg.ExecuteInProcessResult) -> str:
    return result.asset_materializations_for_node("acts_as_of")[0].metadata["last_day"].value


def test_an_untagged_run_acts_as_of_the_latest_landed_day():
    with dg.DagsterInstance.ephemeral() as instance:
        for day in ("2024-03-30", "2024-03-31", "2024-03-15"):
            assert dg.materialize([fake_landing], partition_key=day, instance=instance).success
        result = dg.materialize([fake_landing, acts_as_of], selection=[acts_as_of], instance=instance)
        assert _last_day(result) == "2024-03-31"


def test_an_untagged_run_before_any_landing_fails_with_what_to_do():
    with dg.DagsterInstance.ephemeral() as instance:
        with pytest.raises(NoBillingDayError, match="billing run --through"):
            dg.materialize([fake_landing, acts_as_of], selection=[acts_as_of], instance=instance)
