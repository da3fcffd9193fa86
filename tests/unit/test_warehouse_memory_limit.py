"""RATEBOOK_DUCKDB_MEMORY_LIMIT bounds what DuckDB holds in memory, in Dagster and in dbt."""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from dagster_project.defs.resources import Warehouse

ROOT = Path(__file__).resolve().parents[2]


def _limit(tmp_path: Path) -> str:
    with Warehouse(database=str(tmp_path / "warehouse.duckdb")).get_connection() as con:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_the_warehouse_connection_takes_the_limit_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RATEBOOK_DUCKDB_MEMORY_LIMIT", "1GB")
    # DuckDB shows 1 GB (10^9 bytes) in MiB: 10^9 / 2^20 = 953.67
    assert _limit(tmp_path) == "953.6 MiB"


def test_without_the_variable_duckdb_keeps_its_own_default(tmp_path, monkeypatch):
    monkeypatch.delenv("RATEBOOK_DUCKDB_MEMORY_LIMIT", raising=False)
    with duckdb.connect() as fresh:
        default = fresh.execute("select current_setting('memory_limit')").fetchone()[0]
    assert _limit(tmp_path) == default


def test_dbt_reads_the_same_variable():
    profile = yaml.safe_load((ROOT / "dbt_project" / "profiles.yml").read_text())
    settings = profile["ratebook"]["outputs"]["duckdb"]["settings"]
    assert settings["memory_limit"] == "{{ env_var('RATEBOOK_DUCKDB_MEMORY_LIMIT', '') or '80%' }}"
