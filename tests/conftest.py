"""Shared test helpers: run the real `billing` command into a temporary warehouse."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
BILLING = Path(sys.executable).with_name("billing")


@dataclass
class BillingRun:
    data_dir: Path
    warehouse: Path
    returncode: int
    stdout: str
    stderr: str

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def run_billing(data_dir: Path, warehouse: Path, through: str, first: str | None = None) -> BillingRun:
    """Runs `billing run` as a user would, in a subprocess with its own environment."""
    args = [str(BILLING), "run", "--through", through, "--data-dir", str(data_dir), "--warehouse", str(warehouse)]
    if first:
        args += ["--from", first]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "DAGSTER_HOME"))}
    env["BILLING_OUTPUT_DIR"] = str(warehouse.parent / "invoices")
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=900)
    return BillingRun(data_dir, warehouse, proc.returncode, proc.stdout, proc.stderr)


def copy_fixture(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target


# The test files that build warehouses, longest first (seconds each at aa99c97 on the 2-core
# VM, `PYTEST_ADDOPTS=--durations=60 make test`). `make test` hands whole files to its three
# workers in collection order (`--dist loadfile --no-loadscope-reorder`): the long files start
# at once and the short ones fill in behind them. In pytest's own order the 150 s UI test
# started last and ran alone for two minutes. A file missing here runs after these, in
# pytest's order; a stale number only costs time.
SLOWEST_FILES_FIRST = (
    "tests/ui/test_dagster_ui.py",  # 167
    "tests/integration/test_invoice_lifecycle.py",  # 137
    "tests/integration/test_end_to_end.py",  # 114
    "tests/integration/test_pay_in_advance_charges.py",  # 98
    "tests/integration/test_documents_demo.py",  # 67
    "tests/integration/test_wallet_top_ups.py",  # 47
    "tests/conformance/test_lago_conformance.py",  # 45
    "tests/integration/test_metering_edge_cases.py",  # 41
    "tests/integration/test_event_increments.py",  # 38
    "tests/integration/test_wallet_top_up_references.py",  # 36
    "tests/integration/test_usage_increments.py",  # 34
    "tests/integration/test_documents_pdf.py",  # 15
    "tests/integration/test_payments_faults.py",  # 15
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: index for index, path in enumerate(SLOWEST_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(scope="session")
def billing_runner():
    return run_billing


@pytest.fixture(autouse=True)
def _forget_disposed_dagster_instances():
    """Dagster 1.13 leaks a test's instance into the next: entering an instance (`with
    DagsterInstance.ephemeral()`, `instance_for_test()`) sets a context variable for its
    definitions-state storage that disposing it never resets, so a later `materialize()` in
    the same process resolves a dead instance ("Attempted to resolve undefined
    DagsterInstance weakref"). Which tests share a process depends on pytest-xdist's
    scheduling, so reset it after every test."""
    yield
    from dagster._core.storage.defs_state.base import _current_storage

    _current_storage.set(None)
