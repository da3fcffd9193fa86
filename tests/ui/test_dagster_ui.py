"""The Dagster UI in a real browser: `dagster dev` on 127.0.0.1 over a copy of the demo data,
headless Chromium (Debian's, driven by Playwright) opens billing_job's asset graph, launches a
backfill of three billing days from "Materialize all…", and the backfill must succeed.

The screenshot of the finished backfill is written to the test's temporary directory; with
RATEBOOK_UPDATE_SCREENSHOTS=1 it replaces docs/dagster-ui-backfill.png (the README's), so a
plain `make test` leaves the work tree unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = PROJECT_ROOT / "docs" / "dagster-ui-backfill.png"
DAYS = ("2024-06-28", "2024-06-30")
STARTUP_TIMEOUT_S = 240
BACKFILL_TIMEOUT_S = 600

if not Path(CHROMIUM).exists():
    pytest.skip(
        "Chromium is not installed: the Dagster UI test drives Debian's chromium "
        "(`make system-packages` as root, or `sudo apt-get install -y chromium`)",
        allow_module_level=True,
    )

from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(base: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{base}/graphql", data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.load(response)
    assert "errors" not in payload, payload["errors"]
    return payload["data"]


def _log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory):
    """`dagster dev` on a free port with its own DAGSTER_HOME, data directory and warehouse."""
    root = tmp_path_factory.mktemp("dagster_ui")
    data = root / "data"
    for part in ("catalog", "events"):
        shutil.copytree(PROJECT_ROOT / "data" / part, data / part)
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")  # the duckdb pool of 1
    # dagster dev loads `.env` from its working directory *over* the environment: run it from an
    # empty directory so the temporary paths below win over the repository's .env.
    cwd = root / "cwd"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "DAGSTER_"))}
    env |= {
        "DAGSTER_HOME": str(home),
        "BILLING_DATA_DIR": str(data),
        "BILLING_WAREHOUSE": str(root / "warehouse.duckdb"),
        "BILLING_OUTPUT_DIR": str(root / "invoices"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    }
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = root / "dagster_dev.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster")), "dev", "-h", "127.0.0.1", "-p", str(port),
             "-w", str(PROJECT_ROOT / "workspace.yaml")],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for_code_location(base, server, log_path)
        yield {"base": base, "root": root, "log": log_path}
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # dagster dev and its daemon and code server
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _wait_for_code_location(base: str, server: subprocess.Popen, log_path: Path) -> None:
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
    query += "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dagster dev exited with {server.returncode}:\n{_log_tail(log_path)}")
        try:
            entries = _graphql(base, query)["workspaceOrError"]["locationEntries"]
        except OSError:
            entries = []
        for entry in entries:
            if entry["loadStatus"] == "LOADED":
                loaded = entry["locationOrLoadError"]
                assert loaded["__typename"] == "RepositoryLocation", loaded
                return
        time.sleep(1)
    pytest.fail(f"the ratebook code location did not load in {STARTUP_TIMEOUT_S} s:\n{_log_tail(log_path)}")


BACKFILL_QUERY = """
query ($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill {
      status
      partitionNames
      runs(limit: 20) { runId status tags { key value } }
    }
  }
}
"""


def _wait_for_backfill(base: str, backfill_id: str, log_path: Path) -> dict:
    deadline = time.monotonic() + BACKFILL_TIMEOUT_S
    while time.monotonic() < deadline:
        backfill = _graphql(base, BACKFILL_QUERY, {"id": backfill_id})["partitionBackfillOrError"]
        if backfill["status"] not in ("REQUESTED", "CANCELING"):
            return backfill
        time.sleep(3)
    pytest.fail(f"backfill {backfill_id} not finished in {BACKFILL_TIMEOUT_S} s:\n{_log_tail(log_path)}")


def test_a_backfill_of_three_billing_days_launched_from_the_ui_succeeds(dagster_ui):
    base, log_path = dagster_ui["base"], dagster_ui["log"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            # Dagster's first-visit "join the community" dialog, whenever it shows.
            page.add_locator_handler(page.get_by_role("button", name="Skip"), lambda button: button.click())

            # billing_job's page is its asset graph, by group (landing, then dbt's layers).
            page.goto(f"{base}/locations/ratebook/jobs/billing_job", wait_until="networkidle", timeout=120_000)
            for group in ("ingest", "staging"):
                page.get_by_text(group, exact=True).first.wait_for(timeout=60_000)

            page.get_by_role("button", name="Materialize all…").click()
            dialog = page.get_by_role("dialog")
            dialog.get_by_text("Show all partitions").click()  # 2024 is older than the last 90 days
            days = dialog.locator("input[type=text]").first
            days.fill(f"[{DAYS[0]}...{DAYS[1]}]")
            days.press("Enter")
            dialog.get_by_text("3 partitions").wait_for()
            dialog.get_by_role("button", name="Launch backfill").click()

            toast = page.get_by_text("Created backfill")
            toast.wait_for(timeout=60_000)
            backfill_id = toast.inner_text().split()[-1]
            backfill = _wait_for_backfill(base, backfill_id, log_path)

            assert backfill["partitionNames"] == ["2024-06-28", "2024-06-29", "2024-06-30"]
            assert backfill["status"] == "COMPLETED_SUCCESS", (backfill, _log_tail(log_path))
            assert backfill["runs"] and all(run["status"] == "SUCCESS" for run in backfill["runs"])
            # A single-run backfill: the landing of the three days and the billing as of the last.
            tags = [{tag["key"]: tag["value"] for tag in run["tags"]} for run in backfill["runs"]]
            assert any(
                t.get("dagster/asset_partition_range_start") == DAYS[0]
                and t.get("dagster/asset_partition_range_end") == DAYS[1]
                for t in tags
            ), tags

            page.goto(f"{base}/runs/b/{backfill_id}?tab=runs", wait_until="networkidle", timeout=120_000)
            page.get_by_text(backfill_id).first.wait_for(timeout=60_000)
            page.wait_for_timeout(2000)  # let the run list settle before the picture
            shot = dagster_ui["root"] / SCREENSHOT.name
            page.screenshot(path=str(shot))
            if os.environ.get("RATEBOOK_UPDATE_SCREENSHOTS") == "1":
                shutil.copy(shot, SCREENSHOT)
        finally:
            browser.close()

    # The billing run acted as of the end of the last day: its report says which days it billed.
    report = _graphql(
        base,
        '{ assetOrError(assetKey: {path: ["billing", "run_report"]}) { ... on Asset { '
        "assetMaterializations(limit: 1) { metadataEntries { label "
        "... on TextMetadataEntry { text } } } } } }",
    )["assetOrError"]["assetMaterializations"]
    entries = {entry["label"]: entry.get("text") for entry in report[0]["metadataEntries"]}
    assert entries["billing_days"] == f"{DAYS[0]}..{DAYS[1]}"
