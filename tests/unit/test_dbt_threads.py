"""RATEBOOK_DBT_THREADS sets how many models and tests dbt runs at once (profiles.yml)."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path

import pytest
from dbt.config.profile import Profile, read_profile
from dbt.config.renderer import ProfileRenderer
from dbt.flags import set_from_args
from dbt_common.context import set_invocation_context

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def _threads(environment: dict[str, str]) -> int:
    """The profile's threads as dbt renders them (its own renderer and env_var)."""
    set_from_args(Namespace(), None)
    set_invocation_context(environment)
    raw_profiles = read_profile(str(DBT_PROJECT))
    return Profile.from_raw_profiles(raw_profiles, "ratebook", ProfileRenderer({})).threads


@pytest.mark.parametrize(
    ("environment", "threads"),
    [
        # the default: the development VM's 2 cores (README, Performance)
        ({}, 2),
        # a larger machine sets it
        ({"RATEBOOK_DBT_THREADS": "8"}, 8),
    ],
)
def test_dbt_runs_as_many_nodes_at_once_as_the_variable_says(environment, threads):
    assert _threads({"BILLING_WAREHOUSE": "/tmp/warehouse.duckdb", **environment}) == threads
