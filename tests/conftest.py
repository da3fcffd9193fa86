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


@pytest.fixture(scope="session")
def billing_runner():
    return run_billing
