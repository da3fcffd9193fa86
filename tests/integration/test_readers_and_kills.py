"""Analysts read the published copy while billing writes; a killed run changes nothing they see.

Three `billing run`s of the e2e fixture (tests/fixtures/e2e), as a user runs them:
1. a run through 2024-02-01 publishes the readers' copy: 4 invoices (s2 and s3 on
   2024-01-01, s1 and s2 on 2024-02-01; see test_end_to_end.py for the amounts);
2. a run through 2024-03-01 is SIGKILLed once dbt has started: the published copy is
   byte-for-byte what run 1 left, and still opens;
3. the same run again, with a reader holding the copy open the whole time: both succeed,
   the open reader keeps seeing 4 invoices and a new connection sees the 6 of the
   scenario (plus s1 and s2 on 2024-03-01).
"""

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb

from tests.conftest import BILLING, PROJECT_ROOT, copy_fixture, run_billing

KILL_AFTER_LINE = "Running dbt command"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _invoice_count(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select count(*) from billing.invoices where invoice_type = 'subscription'").fetchone()[0]


def _start(data_dir: Path, warehouse: Path, through: str, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "DAGSTER_HOME"))}
    env["BILLING_OUTPUT_DIR"] = str(warehouse.parent / "invoices")
    args = [str(BILLING), "run", "--through", through, "--data-dir", str(data_dir), "--warehouse", str(warehouse)]
    return subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=log.open("w"), env=env, cwd=PROJECT_ROOT, start_new_session=True
    )


def _wait_for_line(proc: subprocess.Popen, log: Path, line: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line in log.read_text(errors="replace"):
            return
        assert proc.poll() is None, f"the run ended before {line!r}:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
    raise AssertionError(f"no {line!r} within {timeout}s")


def test_a_killed_run_leaves_the_published_copy_and_readers_are_never_blocked(tmp_path):
    data_dir = copy_fixture("e2e", tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    published = tmp_path / "warehouse_published.duckdb"

    first = run_billing(data_dir, warehouse, through="2024-02-01")
    assert first.returncode == 0, first.stderr[-4000:]
    assert _invoice_count(published) == 4
    before = _digest(published)

    log = tmp_path / "killed.log"
    killed = _start(data_dir, warehouse, "2024-03-01", log)
    _wait_for_line(killed, log, KILL_AFTER_LINE)
    os.killpg(killed.pid, signal.SIGKILL)  # the run and its dbt subprocess, mid-build
    killed.wait(timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert _digest(published) == before
    assert _invoice_count(published) == 4

    reader = duckdb.connect(str(published), read_only=True)
    try:
        again = run_billing(data_dir, warehouse, through="2024-03-01")
        assert again.returncode == 0, again.stderr[-4000:]
        assert reader.execute("select count(*) from billing.invoices where invoice_type = 'subscription'").fetchone() == (4,)
    finally:
        reader.close()
    assert _invoice_count(published) == 6
    assert not published.with_name(published.name + ".publishing").exists()
