"""The Dagster asset renders what changed, skips the rest, and reports what it did."""

from __future__ import annotations

import json

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.documents.assets import InvoiceDocumentsConfig, invoice_documents
from dagster_project.defs.resources import BillingPaths, Warehouse
from dagster_project.lib.documents.sample import create_sample_warehouse

INVOICES = 20


def materialize(root, **config) -> dict:
    result = dg.materialize(
        [invoice_documents],
        resources={
            "paths": BillingPaths(
                data_dir=str(root),
                warehouse=str(root / "warehouse.duckdb"),
                output_dir=str(root / "invoices"),
            ),
            "duckdb": Warehouse(database=str(root / "warehouse.duckdb")),
        },
        run_config=dg.RunConfig({"documents__invoices": InvoiceDocumentsConfig(**config)}),
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("documents__invoices")
    return {key: value.value for key, value in materialization.metadata.items()}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("documents-asset")
    create_sample_warehouse(root / "warehouse.duckdb", invoices=INVOICES)
    return root


@pytest.fixture(scope="module")
def first_run(root):
    return materialize(root, workers=1)


def _numbers(root) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "select invoice_id, number, status from billing.invoices order by all"
        ).fetchall()


def test_the_first_run_writes_an_html_and_a_pdf_per_invoice(root, first_run):
    assert first_run["rendered"] == INVOICES
    assert first_run["skipped_unchanged"] == 0
    assert first_run["output_dir"] == str(root / "invoices")
    for invoice_id, number, status in _numbers(root):
        stem = number if status != "draft" else f"{number}-{invoice_id[:8]}"
        assert (root / "invoices" / f"{stem}.html").is_file()
        assert (root / "invoices" / f"{stem}.pdf").is_file()


def test_a_second_run_renders_nothing(root, first_run):
    again = materialize(root, workers=1)
    assert (again["rendered"], again["skipped_unchanged"]) == (0, INVOICES)


def test_only_the_invoice_whose_content_changed_is_rendered_again(root, first_run):
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        (invoice_id, number) = con.execute(
            "select invoice_id, number from billing.invoices where status = 'finalized' order by number limit 1"
        ).fetchone()
        con.execute(
            "update raw.customers set name = 'Globex Corp. (renamed)' where external_id = 'cust_en'"
        )
        con.execute(
            "update billing.invoices set payment_due_date = payment_due_date + 1 where invoice_id = ?",
            [invoice_id],
        )
    again = materialize(root, workers=1)
    # cust_en has two of the twenty invoices; the due date changed on one of them
    assert again["rendered"] == 2
    assert again["skipped_unchanged"] == INVOICES - 2
    assert "Globex Corp. (renamed)" in (root / "invoices" / f"{number}.html").read_text()


def test_a_draft_finalized_later_replaces_its_draft_files(root, first_run):
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        (invoice_id,) = con.execute(
            "select invoice_id from billing.invoices where status = 'draft' limit 1"
        ).fetchone()
        con.execute(
            "update billing.invoices set status = 'finalized', number = 'RB-999-001' where invoice_id = ?",
            [invoice_id],
        )
    again = materialize(root, workers=1)
    assert again["rendered"] == 1
    assert again["deleted_stale"] == 2
    assert not list((root / "invoices").glob(f"RB-DRAFT-{invoice_id[:8]}.*"))
    assert (root / "invoices" / "RB-999-001.pdf").is_file()
    manifest = json.loads((root / "invoices" / ".documents-manifest.json").read_text())
    assert manifest["documents"][f"invoice:{invoice_id}"]["stem"] == "RB-999-001"


def test_force_renders_every_document_again_in_worker_processes(root, first_run):
    again = materialize(root, force=True, workers=2)
    assert again["rendered"] == INVOICES
    assert again["workers"] == 2
    assert sum(again["rendered_by_locale"].values()) == INVOICES
