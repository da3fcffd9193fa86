"""Every resource, configured from environment variables (see `.env`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import os
import shutil
import sys

import duckdb
from packaging.version import Version

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from dagster_project.dbt_project import dbt_project
from dagster_project.lib.paths import resolve
from dagster_project.lib.publish import published_path_for


class BillingPaths(dg.ConfigurableResource):
    """Where inputs are read and outputs written. Relative paths are from the project root."""

    data_dir: str
    warehouse: str
    output_dir: str
    published_warehouse: str = ""
    """The readers' copy (lib/publish.py); empty: `<warehouse>_published.duckdb` beside it."""

    @property
    def data_path(self) -> Path:
        return resolve(self.data_dir)

    @property
    def warehouse_path(self) -> Path:
        return resolve(self.warehouse)

    @property
    def output_path(self) -> Path:
        return resolve(self.output_dir)

    @property
    def published_warehouse_path(self) -> Path:
        if self.published_warehouse:
            return resolve(self.published_warehouse)
        return published_path_for(self.warehouse_path)


class Warehouse(DuckDBResource):
    """The DuckDB warehouse file; a relative `database` is taken from the project root."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        path = resolve(self.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        resolved = DuckDBResource(database=str(path), connection_config=self.connection_config)
        with resolved.get_connection() as con:
            con.execute("set TimeZone = 'UTC'")
            limit = duckdb_memory_limit()
            if limit:
                con.execute("set memory_limit = ?", [limit])
            yield con


def duckdb_memory_limit() -> str:
    """RATEBOOK_DUCKDB_MEMORY_LIMIT (`4GB`, `8GB`...): what each DuckDB database may hold in
    memory before it spills to disk, here and in dbt (profiles.yml). Unset: DuckDB's own
    default, 80% of the machine's memory (a fixed 4GB default made dbt unit tests of the
    wallet walk fail now and then: a recursive query cannot spill)."""
    return os.environ.get("RATEBOOK_DUCKDB_MEMORY_LIMIT", "").strip()


class BillingDbt(DbtCliResource):
    """dagster-dbt's dbt resource without two costs of its start (about 2 s each, in every run
    that builds the models, the nightly's included):

    - it asks the dbt executable for its version by running `dbt --version` (a new Python
      process importing dbt). The executable is this environment's (`_dbt_executable`), so the
      installed dbt-core's version is the same answer;
    - it loads the dbt project and profile in this process to open a dbt adapter, which it
      uses only to fetch row counts and column metadata. Our assets ask for neither
      (`fetch_row_counts`, `fetch_column_metadata`), so no adapter is opened; dagster-dbt
      accepts none, as it does for dbt Fusion.

    Both are private methods of dagster-dbt 0.29 (pinned); tests/unit/test_dbt_resource.py
    fails when an upgrade renames them, rather than the cost coming back unnoticed."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None


def _dbt_executable() -> str:
    """dbt from this interpreter's environment (`.venv/bin/dbt`) even when PATH lacks it."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


@dg.definitions
def resources() -> dg.Definitions:
    warehouse = dg.EnvVar("BILLING_WAREHOUSE")
    return dg.Definitions(
        resources={
            "paths": BillingPaths(
                data_dir=dg.EnvVar("BILLING_DATA_DIR"),
                warehouse=warehouse,
                output_dir=dg.EnvVar("BILLING_OUTPUT_DIR"),
                # Optional, so not an EnvVar (an unset EnvVar fails the load).
                published_warehouse=os.environ.get("BILLING_PUBLISHED_WAREHOUSE", ""),
            ),
            "duckdb": Warehouse(database=warehouse),
            "dbt": BillingDbt(project_dir=dbt_project, dbt_executable=_dbt_executable()),
        }
    )
