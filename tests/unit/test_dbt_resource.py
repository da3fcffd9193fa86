"""defs/resources.py, BillingDbt: dagster-dbt's resource without `dbt --version` in a new
process and without an in-process dbt adapter, each about 2 s of every run that builds the
models. It overrides two private methods of dagster-dbt, so these tests fail when an upgrade
renames them or makes them matter."""

from __future__ import annotations

import inspect
from importlib.metadata import version

from dagster_dbt import DbtCliResource
from dagster_dbt.core import dbt_event_iterator, resource

from dagster_project.dbt_project import dbt_project
from dagster_project.defs.resources import BillingDbt, _dbt_executable


def test_the_overridden_methods_are_still_dagster_dbts():
    assert "_cli_version" in vars(DbtCliResource)
    assert "_initialize_dbt_core_adapter" in vars(DbtCliResource)
    # dagster-dbt calls both from cli(), and passes the adapter on to the invocation.
    source = inspect.getsource(resource.DbtCliResource.cli)
    assert "self._cli_version" in source
    assert "adapter = self._initialize_dbt_core_adapter(args)" in source


def test_the_version_is_the_installed_dbt_cores_without_running_dbt():
    dbt = BillingDbt(project_dir=dbt_project, dbt_executable=_dbt_executable())
    assert str(dbt._cli_version) == version("dbt-core")
    assert dbt._cli_version.major == 1  # dbt Core, not Fusion: dagster-dbt's Core paths


def test_without_an_adapter_only_the_metadata_fetches_we_do_not_use_are_lost():
    """dagster-dbt reads the adapter only to fetch row counts and column metadata (and waits
    for DuckDB's dbt process before those), and returns nothing from them when it is None."""
    assert BillingDbt._initialize_dbt_core_adapter(None, []) is None
    users = [
        name
        for name, function in inspect.getmembers(dbt_event_iterator, inspect.isfunction)
        if "invocation.adapter" in inspect.getsource(function)
    ]
    assert sorted(users) == ["_fetch_column_metadata", "_fetch_row_count_metadata"], users
