"""Lago's own test vectors (tests/fixtures/lago) through the real `billing run`.

Every case becomes catalog objects and events namespaced by its id; cases are
batched into a few data directories (tests/conformance/datadir.py), each billed
by one `billing run`, and each case then compares the contract tables with
Lago's numbers. Cases for features still to build are xfail(strict=True) with
the issue's title (tests/conformance/issues.py).
"""

from __future__ import annotations

import pytest

from tests.conformance.case import ConvertedCase
from tests.conformance.cases import converted, group_of
from tests.conformance.warehouse import check_aggregation, check_charge, check_invoices, connect

pytestmark = pytest.mark.slow


def _params(kind: str) -> list:
    params = []
    for case in converted(kind):
        marks = (
            [pytest.mark.xfail(strict=True, reason=case.xfail_reason)] if case.xfail_reason else []
        )
        params.append(pytest.param(case, id=case.case_id, marks=marks))
    return params


def _differences(case: ConvertedCase, runs, check) -> list[str]:
    result = runs.result(group_of(case.case_id).name)
    if not result.ok:
        pytest.fail(result.failure(), pytrace=False)
    with connect(result.warehouse) as con:
        return check(con, case.check)


def _report(case: ConvertedCase, differences: list[str]) -> str:
    lines = [f"{case.case_id} differs from Lago:", *(f"  - {line}" for line in differences)]
    lines += [f"  (note: {note})" for note in case.notes]
    return "\n".join(lines)


@pytest.mark.parametrize("case", _params("aggregation"))
def test_usage_units_match_lagos_aggregation(case: ConvertedCase, conformance_runs) -> None:
    differences = _differences(case, conformance_runs, check_aggregation)
    assert not differences, _report(case, differences)


@pytest.mark.parametrize("case", _params("charge_model"))
def test_charge_fee_matches_lagos_charge_model(case: ConvertedCase, conformance_runs) -> None:
    differences = _differences(case, conformance_runs, check_charge)
    assert not differences, _report(case, differences)


@pytest.mark.parametrize("case", _params("invoice"))
def test_invoices_match_lagos_scenario(case: ConvertedCase, conformance_runs) -> None:
    differences = _differences(case, conformance_runs, check_invoices)
    assert not differences, _report(case, differences)


def test_the_runs_leave_out_documents_and_payments(conformance_runs) -> None:
    """`billing run --skip documents --skip payments` (tests/conformance/datadir.py): the
    cases check amounts, and rendering their invoices was 41 s of a 98 s run."""
    for name in {group_of(case.case_id).name for case in converted("invoice")}:
        result = conformance_runs.result(name)
        assert result.ok, result.failure()
        assert "billing run: left out (--skip): documents, payments" in result.stderr
        output = result.warehouse.parent / "invoices"  # BILLING_OUTPUT_DIR of the run
        assert not list(output.glob("*.pdf")) and not list(output.glob("*.html"))
        assert "payment_push" not in result.stderr
