"""Batches converted cases into data directories, one `billing run` each, and runs it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.conformance.case import ConvertedCase

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# A safety net for a stuck run, not the budget: each run is one `billing run`.
RUN_TIMEOUT_SECONDS = 1800


def dumps(value: object) -> str:
    """JSON text with Decimal written as the exact number it is (never through float)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return format(value, "f")
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(str(key))}: {dumps(item)}" for key, item in value.items())
            + "}"
        )
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(item) for item in value) + "]"
    if isinstance(value, float):
        raise TypeError(f"float {value!r}: use Decimal or decimal text")
    return json.dumps(value)


@dataclass
class RunGroup:
    """Cases sharing one data directory, one warehouse and one `billing run`."""

    name: str
    organization: dict | None
    cases: list[ConvertedCase]

    @property
    def through(self) -> date:
        return max(case.through for case in self.cases)


# CONTRACT §1.1: the organization a catalog without one has.
DEFAULT_ORGANIZATION = {
    "default_currency": "USD",
    "timezone": "UTC",
    "net_payment_term": 0,
    "document_numbering": "per_customer",
    "billing_configuration": {"invoice_grace_period": 0},
}


def _merged(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def organization_key(organization: dict | None) -> str:
    """Equal for organizations that bill alike (an absent one is CONTRACT's default)."""
    effective = _merged(DEFAULT_ORGANIZATION, organization or {})
    if effective == DEFAULT_ORGANIZATION:
        return "default-org"
    text = json.dumps(effective, sort_keys=True, default=str)
    return "org-" + hashlib.sha256(text.encode()).hexdigest()[:8]


def group_cases(cases: list[ConvertedCase]) -> list[RunGroup]:
    """As few runs as possible: one per organization, split into supported and pending cases.

    Cases need not share a bill_through: the run goes through the latest one and each
    case only looks at its own invoices up to its own date. Pending (xfail) cases run
    apart so that a feature the pipeline lacks cannot break the run of supported ones.
    """
    groups: dict[tuple[bool, str], RunGroup] = {}
    for case in cases:
        key = (case.supported, organization_key(case.organization))
        if key not in groups:
            name = f"{'supported' if case.supported else 'pending'}-{key[1]}"
            groups[key] = RunGroup(name, None, [])
        group = groups[key]
        group.cases.append(case)
        if group.organization is None and case.organization is not None:
            group.organization = case.organization  # equivalent for every case of the group
    return sorted(groups.values(), key=lambda group: group.name)


def write_data_dir(group: RunGroup, root: Path) -> Path:
    """DIR/catalog/<case>.json (+ organization.json) and DIR/events/<case>.jsonl."""
    catalog_dir = root / "catalog"
    events_dir = root / "events"
    catalog_dir.mkdir(parents=True, exist_ok=True)
    events_dir.mkdir(parents=True, exist_ok=True)
    if group.organization is not None:
        (catalog_dir / "organization.json").write_text(
            dumps({"organization": group.organization}) + "\n"
        )
    for case in group.cases:
        (catalog_dir / f"{case.case_id}.json").write_text(dumps(case.catalog) + "\n")
        if case.events:
            lines = "".join(dumps(event) + "\n" for event in case.events)
            (events_dir / f"{case.case_id}.jsonl").write_text(lines)
    return root


@dataclass
class RunResult:
    group: str
    data_dir: Path
    warehouse: Path
    through: date
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure(self) -> str:
        """The command's one-line reason and the root causes it printed, then its last lines."""
        lines = self.stderr.strip().splitlines()
        causes = [line for line in lines if re.match(r"^(\w+\.)*\w+(Error|Exception): ", line)]
        reason = [line for line in lines if line.startswith("billing run")][-1:]
        tail = "\n".join(lines[-15:])
        return (
            f"`billing run` of group {self.group} exited {self.returncode} after {self.seconds:.0f}s "
            f"(log: {self.data_dir.parent / 'billing-run.log'})\n"
            + "\n".join(reason + sorted(set(causes), key=causes.index)[:5])
            + f"\n--- last lines ---\n{tail}"
        )


def billing_command() -> Path:
    return Path(sys.executable).with_name("billing")


def run_billing(group: RunGroup, root: Path) -> RunResult:
    """Writes the group's data directory under `root` and runs `billing run` on it once."""
    data_dir = write_data_dir(group, root / "data")
    warehouse = root / "warehouse.duckdb"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BILLING_", "DAGSTER_HOME"))
    }
    env.update(
        BILLING_DATA_DIR=str(data_dir),
        BILLING_WAREHOUSE=str(warehouse),
        BILLING_OUTPUT_DIR=str(root / "invoices"),
    )
    args = [
        str(billing_command()), "run",
        "--through", group.through.isoformat(),
        "--data-dir", str(data_dir),
        "--warehouse", str(warehouse),
        # The cases check amounts: rendering their ~770 invoices to PDF took 41 of the run's
        # 98 s (documents are tested in tests/integration/test_documents_*.py).
        "--skip", "documents", "--skip", "payments",
    ]  # fmt: skip
    started = time.monotonic()
    try:
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
            timeout=RUN_TIMEOUT_SECONDS,
        )
        returncode, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        returncode, stdout, stderr = (
            -1,
            str(exc.stdout or ""),
            f"timed out after {RUN_TIMEOUT_SECONDS}s\n{exc.stderr or ''}",
        )
    except FileNotFoundError as exc:
        returncode, stdout, stderr = -1, "", f"no `billing` command: {exc}"
    (root / "billing-run.log").write_text(
        f"$ {' '.join(args)}\nexit {returncode}\n{stdout}\n{stderr}"
    )
    return RunResult(
        group.name,
        data_dir,
        warehouse,
        group.through,
        returncode,
        stdout,
        stderr,
        time.monotonic() - started,
    )
