from datetime import date, datetime

import pytest

from dagster_project.lib.dbt_vars import BillingWindow, dbt_vars


def test_one_billing_day_acts_as_of_the_end_of_that_day():
    window = BillingWindow(date(2024, 2, 1), date(2024, 2, 1))
    assert dbt_vars(window) == {"from": "2024-02-01", "to": "2024-02-02", "as_of": "2024-02-02 00:00:00"}


def test_a_range_is_one_half_open_window_crossing_a_leap_day():
    window = BillingWindow(date(2024, 2, 27), date(2024, 2, 29))
    assert dbt_vars(window) == {"from": "2024-02-27", "to": "2024-03-01", "as_of": "2024-03-01 00:00:00"}


def test_a_partition_time_window_of_three_days_maps_to_its_billing_days():
    window = BillingWindow.from_time_window(datetime(2024, 3, 1), datetime(2024, 3, 4))
    assert (window.first_day, window.last_day) == (date(2024, 3, 1), date(2024, 3, 3))


def test_a_window_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        BillingWindow(date(2024, 3, 2), date(2024, 3, 1))


def test_the_window_reaches_dbt_as_environment_variables_with_the_same_values():
    from dagster_project.lib.dbt_vars import dbt_window_env

    window = BillingWindow(date(2024, 2, 1), date(2024, 2, 1))
    assert dbt_window_env(window) == {
        "BILLING_WINDOW_FROM": "2024-02-01",
        "BILLING_WINDOW_TO": "2024-02-02",
        "BILLING_WINDOW_AS_OF": "2024-02-02 00:00:00",
    }
