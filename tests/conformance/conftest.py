"""One `billing run` per group of cases, once per session, shared by the group's tests.

The groups the selected tests need are all started at once, in parallel (each has its
own data directory and warehouse), so the session waits for the slowest run only.
Runs live in their own temporary directory, not pytest's basetemp, which another
pytest session on the machine may rotate away mid-run; a failed run's directory is
kept for inspection (the summary prints it), the others are removed.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conformance.case import ConvertedCase
from tests.conformance.cases import group_of, run_groups
from tests.conformance.datadir import RunResult, run_billing


class ConformanceRuns:
    def __init__(self, root: Path, pool: ThreadPoolExecutor):
        self._root = root
        self._pool = pool
        self._runs: dict[str, Future[RunResult]] = {}

    def start(self, group_name: str) -> None:
        if group_name not in self._runs:
            group = next(group for group in run_groups() if group.name == group_name)
            self._runs[group_name] = self._pool.submit(run_billing, group, self._root / group_name)

    def result(self, group_name: str) -> RunResult:
        self.start(group_name)
        return self._runs[group_name].result()

    @property
    def finished(self) -> list[RunResult]:
        return [run.result() for run in self._runs.values() if run.done() and not run.exception()]


_SESSION_RUNS: list[ConformanceRuns] = []


def _selected_groups(session: pytest.Session) -> list[str]:
    names = []
    for item in session.items:
        case = getattr(item, "callspec", None) and item.callspec.params.get("case")
        if isinstance(case, ConvertedCase):
            name = group_of(case.case_id).name
            if name not in names:
                names.append(name)
    return names


@pytest.fixture(scope="session")
def conformance_runs(request: pytest.FixtureRequest):
    root = Path(tempfile.mkdtemp(prefix="lago-conformance-"))
    with ThreadPoolExecutor(max_workers=max(len(run_groups()), 1)) as pool:
        runs = ConformanceRuns(root, pool)
        _SESSION_RUNS.append(runs)
        for name in _selected_groups(request.session):
            runs.start(name)
        yield runs
    if all(result.ok for result in runs.finished):
        shutil.rmtree(root, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    results = [result for runs in _SESSION_RUNS for result in runs.finished]
    if not results:
        return
    terminalreporter.section("Lago conformance: billing runs")
    for result in results:
        status = (
            "ok"
            if result.ok
            else f"FAILED (exit {result.returncode}, kept {result.data_dir.parent})"
        )
        cases = len(next(group for group in run_groups() if group.name == result.group).cases)
        terminalreporter.write_line(
            f"{result.group}: {cases} cases, billing days through {result.through}, "
            f"{result.seconds:.0f}s, {status}"
        )
