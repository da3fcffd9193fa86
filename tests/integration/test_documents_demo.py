"""The demo's invoices as documents: `billing run` on data/ writes an HTML and a PDF per invoice,
each total equal to billing.invoices, and every demo invoice renders in every locale."""

from __future__ import annotations

import copy
import shutil

import duckdb
import pytest
from pypdf import PdfReader

from dagster_project.lib.documents.formatting import Formatter
from dagster_project.lib.documents.html import LOCALES_DIR, document_locale
from dagster_project.lib.documents.loading import load_invoice_documents
from dagster_project.lib.documents.locales import SUPPORTED, for_code, load_labels
from dagster_project.lib.documents.manifest import file_stem
from dagster_project.lib.documents.publish import publish_documents
from tests.conftest import PROJECT_ROOT, run_billing

pytestmark = pytest.mark.slow


def normalized(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def pdf_text(path) -> str:
    return normalized("\n".join(page.extract_text() for page in PdfReader(path).pages))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("documents-demo")
    data_dir = root / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "catalog", data_dir / "catalog")
    shutil.copytree(PROJECT_ROOT / "data" / "events", data_dir / "events")
    run = run_billing(data_dir, root / "warehouse.duckdb", through="2024-06-30")
    assert run.returncode == 0, run.stderr[-4000:]
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        documents = load_invoice_documents(con)
        totals = dict(
            con.execute("select invoice_id, total_amount_cents from billing.invoices").fetchall()
        )
    # conftest.run_billing sets BILLING_OUTPUT_DIR to <warehouse dir>/invoices
    return {"root": root, "output": root / "invoices", "documents": documents, "totals": totals}


def test_the_billing_run_writes_an_html_and_a_pdf_per_invoice(demo):
    assert demo["documents"]
    written = {path.name for path in demo["output"].iterdir()}
    for document in demo["documents"]:
        assert {f"{file_stem(document)}.html", f"{file_stem(document)}.pdf"} <= written, document[
            "number"
        ]


def test_every_document_shows_its_number_and_billing_invoices_total_in_the_customers_language(demo):
    labels = load_labels(LOCALES_DIR)
    for document in demo["documents"]:
        locale = document_locale(document)
        total = Formatter(locale.babel, document["currency"]).money(
            demo["totals"][document["invoice_id"]]
        )
        text = pdf_text(demo["output"] / f"{file_stem(document)}.pdf")
        assert document["number"] in text
        assert f"{normalized(labels[locale.labels]['total_due'])} {normalized(total)}" in text, (
            document["number"]
        )


def test_every_demo_invoice_renders_in_every_locale(demo, tmp_path):
    labels = load_labels(LOCALES_DIR)
    variants = []
    for code in SUPPORTED:
        for document in demo["documents"]:
            variant = copy.deepcopy(document)
            variant["customer"]["document_locale"] = code
            variant["document_id"] = f"{document['document_id']}-{code}"
            variant["number"] = f"{document['number']}-{code}"
            variants.append((code, document, variant))
    result = publish_documents([v for _, _, v in variants], tmp_path, demo["root"] / "data")
    assert result.failures == []
    assert result.rendered_by_locale == {code: len(demo["documents"]) for code in SUPPORTED}
    for code, document, variant in variants:
        total = Formatter(for_code(code).babel, document["currency"]).money(
            demo["totals"][document["invoice_id"]]
        )
        text = pdf_text(tmp_path / f"{file_stem(variant)}.pdf")
        assert variant["number"] in text
        assert f"{normalized(labels[code]['total_due'])} {normalized(total)}" in text, (
            code,
            document["number"],
        )
