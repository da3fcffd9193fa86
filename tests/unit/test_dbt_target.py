"""dbt's target folder (dagster_project/lib/dbt_target.py): the saved parse reused across
warehouses, old invocation folders pruned. The billing runs of
tests/integration/test_invoice_lifecycle.py check that dbt accepts the reused parse."""

from __future__ import annotations

import hashlib
import os
import pprint
import re
import time
from pathlib import Path

import msgpack
import pytest

from dagster_project.lib import dbt_target
from dagster_project.lib.paths import DBT_PROJECT_DIR


def _connection(path: str, database: str = "warehouse", memory_limit: str = "80%"):
    return sorted(
        [
            ("database", database),
            ("path", path),
            ("schema", "main"),
            ("settings", {"TimeZone": "UTC", "memory_limit": memory_limit}),
        ]
    )


def _saved_parse(profile_checksum: str) -> bytes:
    return msgpack.packb(
        {
            "nodes": {"model.ratebook.fees": {"raw_code": "select 1"}},
            "state_check": {
                "vars_hash": {"name": "sha256", "checksum": "v"},
                "profile_hash": {"name": "sha256", "checksum": profile_checksum},
            },
        },
        use_bin_type=True,
    )


def test_the_profile_hash_is_dbts_sha256_of_the_printed_sorted_settings():
    connection = _connection("/a/warehouse.duckdb")
    expected = hashlib.sha256(pprint.pformat(connection).encode()).hexdigest()
    assert dbt_target.dbt_profile_hash(connection) == expected


def test_this_projects_profile_renders_the_warehouse_and_memory_limit_of_the_environment(
    monkeypatch,
):
    monkeypatch.setenv("BILLING_WAREHOUSE", "/elsewhere/billing.duckdb")
    monkeypatch.setenv("RATEBOOK_DUCKDB_MEMORY_LIMIT", "3GB")
    settings = dict(dbt_target.profile_connection(DBT_PROJECT_DIR))
    assert settings["path"] == "/elsewhere/billing.duckdb"
    assert settings["database"] == "billing"  # dbt-duckdb names it after the file
    assert settings["settings"] == {"TimeZone": "UTC", "memory_limit": "3GB"}


def test_the_reuse_key_ignores_the_path_only():
    key = dbt_target.reuse_key(_connection("/a/warehouse.duckdb"))
    assert dbt_target.reuse_key(_connection("/b/c/warehouse.duckdb")) == key
    # the database name (from the file name) is in the parse: another key
    assert dbt_target.reuse_key(_connection("/a/other.duckdb", database="other")) != key
    assert dbt_target.reuse_key(_connection("/a/warehouse.duckdb", memory_limit="4GB")) != key


def test_a_kept_parse_seeds_the_next_invocation_marked_with_its_profile(tmp_path):
    first, second = _connection("/a/warehouse.duckdb"), _connection("/b/warehouse.duckdb")
    cache = tmp_path / "kept"
    run_a, run_b = tmp_path / "run-a", tmp_path / "run-b"
    run_a.mkdir()
    (run_a / "partial_parse.msgpack").write_bytes(
        _saved_parse(dbt_target.dbt_profile_hash(first))
    )

    assert dbt_target.seed(run_b, cache, second) is None  # nothing kept yet
    kept = dbt_target.keep(run_a, cache, first)
    assert kept == cache / f"{dbt_target.reuse_key(first)}.msgpack"
    assert list(cache.iterdir()) == [kept]  # no temporary file left behind

    assert dbt_target.seed(run_b, cache, second) == kept
    seeded = msgpack.unpackb((run_b / "partial_parse.msgpack").read_bytes(), raw=False)
    assert seeded["state_check"]["profile_hash"] == {
        "name": "sha256",
        "checksum": dbt_target.dbt_profile_hash(second),
    }
    # everything else as dbt saved it
    assert seeded["state_check"]["vars_hash"] == {"name": "sha256", "checksum": "v"}
    assert seeded["nodes"] == {"model.ratebook.fees": {"raw_code": "select 1"}}


def test_a_profile_with_another_memory_limit_finds_no_kept_parse(tmp_path):
    run_a = tmp_path / "run-a"
    run_a.mkdir()
    (run_a / "partial_parse.msgpack").write_bytes(_saved_parse("x"))
    dbt_target.keep(run_a, tmp_path / "kept", _connection("/a/warehouse.duckdb"))
    other = _connection("/a/warehouse.duckdb", memory_limit="4GB")
    assert dbt_target.seed(tmp_path / "run-b", tmp_path / "kept", other) is None


def test_an_invocation_that_failed_before_parsing_keeps_nothing(tmp_path):
    (tmp_path / "run").mkdir()
    assert dbt_target.keep(tmp_path / "run", tmp_path / "kept", _connection("/a/w.duckdb")) is None
    assert not (tmp_path / "kept").exists()


def test_the_parse_does_not_read_the_warehouse_path():
    """What makes the reuse sound: no model, macro or project file reads `target.path` (or the
    profile's other connection settings) while dbt parses. A new use must drop the reuse."""
    pattern = re.compile(r"target\s*\.\s*(path|settings|external_root|attach)|target\s*\[")
    files = [DBT_PROJECT_DIR / "dbt_project.yml"] + [
        path
        for folder in ("models", "macros", "tests", "snapshots", "seeds", "analyses")
        for path in (DBT_PROJECT_DIR / folder).rglob("*")
        if path.suffix in (".sql", ".yml", ".yaml")
    ]
    assert len(files) > 100  # the project's files were found
    offenders = [str(path) for path in files if pattern.search(path.read_text())]
    assert offenders == []


def _folder(root: Path, name: str, age_seconds: float) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "run_results.json").write_text("{}")
    stamp = time.time() - age_seconds
    os.utime(folder, (stamp, stamp))
    return folder


def test_pruning_keeps_the_newest_and_the_recent_invocation_folders(tmp_path):
    # five invocations 2 to 6 hours old, one 10 minutes old (a run still going), and the
    # kept parses, which are not an invocation
    old = [_folder(tmp_path, f"billing_models-{i}", age_seconds=3600 * (2 + i)) for i in range(5)]
    running = _folder(tmp_path, "billing_models-running", age_seconds=600)
    (tmp_path / "parses_by_profile").mkdir()

    deleted = dbt_target.prune_invocations(tmp_path, keep=2, recent_seconds=3600)

    # the newest two are `running` and old[0]: old[1..4] go
    assert sorted(deleted) == sorted(old[1:])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "billing_models-0",
        "billing_models-running",
        "parses_by_profile",
    ]
    assert running.exists()


@pytest.mark.parametrize("keep", [0, 1])
def test_pruning_never_deletes_a_folder_written_within_the_hour(tmp_path, keep):
    recent = [_folder(tmp_path, f"billing_models-{i}", age_seconds=60 * i) for i in range(3)]
    assert dbt_target.prune_invocations(tmp_path, keep=keep, recent_seconds=3600) == []
    assert all(folder.exists() for folder in recent)
