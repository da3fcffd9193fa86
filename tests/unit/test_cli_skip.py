"""`billing run --skip documents|payments` (dagster_project/cli.py): leaves those assets out
of the last of the command's three Dagster runs. A real run with both is the conformance
suite's (tests/conformance/test_lago_conformance.py)."""

from __future__ import annotations

import pytest

from dagster_project.cli import SKIPPABLE, _parser
from dagster_project.definitions import defs


def test_every_skippable_asset_is_a_materializable_asset_of_billing_job():
    graph = defs().resolve_job_def("billing_job").asset_layer.asset_graph
    keys = {
        tuple(key.path) for key in graph.get_all_asset_keys() if graph.get(key).is_materializable
    }
    skippable = {path for paths in SKIPPABLE.values() for path in paths}
    for step, paths in SKIPPABLE.items():
        assert set(paths) <= keys, step
    # Nothing that computes money can be skipped: only documents and the payment push, not the
    # payment statuses the billing models read.
    assert {path[0] for path in skippable} == {"documents", "payments"}
    assert ("payments", "invoice_payment_status") not in skippable


def test_skip_is_repeatable_and_knows_only_its_steps(capsys):
    args = _parser().parse_args(
        ["run", "--through", "2024-03-01", "--skip", "documents", "--skip", "payments"]
    )
    assert args.skip == ["documents", "payments"]
    assert _parser().parse_args(["run", "--through", "2024-03-01"]).skip == []
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["run", "--through", "2024-03-01", "--skip", "invoices"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'invoices'" in capsys.readouterr().err
