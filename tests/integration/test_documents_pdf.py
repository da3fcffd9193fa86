"""PDFs of every sample invoice in every locale: text selectable, fonts embedded, totals right."""

from __future__ import annotations

import copy
import shutil
import subprocess

import duckdb
import pytest
from PIL import Image
from pypdf import PdfReader

from dagster_project.lib.documents.formatting import Formatter
from dagster_project.lib.documents.html import LOCALES_DIR, HtmlRenderer
from dagster_project.lib.documents.loading import load_invoice_documents
from dagster_project.lib.documents.locales import SUPPORTED, for_code, load_labels
from dagster_project.lib.documents.manifest import file_stem
from dagster_project.lib.documents.pdf import write_pdf
from dagster_project.lib.documents.publish import publish_documents, render_one
from dagster_project.lib.documents.sample import create_sample_warehouse

INVOICES = 20  # two per sample customer: every locale, currency, a draft, a one-off invoice


def normalized(text: str) -> str:
    """PDF text extraction keeps no-break spaces as they are; compare on plain spaces."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def pdf_text(path) -> str:
    return normalized("\n".join(page.extract_text() for page in PdfReader(path).pages))


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("documents-pdf")
    warehouse = create_sample_warehouse(root / "sample.duckdb", invoices=INVOICES)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        invoices = load_invoice_documents(con)
        totals = dict(
            con.execute("select invoice_id, total_amount_cents from billing.invoices").fetchall()
        )
    # Every invoice once per locale: the customer's document_locale is what picks it.
    documents = []
    for code in SUPPORTED:
        for invoice in invoices:
            variant = copy.deepcopy(invoice)
            variant["customer"]["document_locale"] = code
            variant["document_id"] = f"{invoice['document_id']}-{code}"
            variant["number"] = f"{invoice['number']}-{code}"
            documents.append((code, invoice, variant))
    output = root / "invoices"
    result = publish_documents([variant for _, _, variant in documents], output, root)
    return {"documents": documents, "output": output, "result": result, "totals": totals}


def _stem(variant) -> str:
    return file_stem(variant)


def test_every_invoice_is_rendered_in_every_locale(sample):
    result = sample["result"]
    assert result.failures == []
    assert result.rendered == INVOICES * len(SUPPORTED)
    assert result.rendered_by_locale == {code: INVOICES for code in SUPPORTED}
    for _, _, variant in sample["documents"]:
        for ext in ("html", "pdf"):
            assert (sample["output"] / f"{_stem(variant)}.{ext}").is_file()


@pytest.mark.parametrize("code", SUPPORTED)
def test_the_pdf_text_has_the_number_and_the_total_formatted_for_the_locale(sample, code):
    labels = load_labels(LOCALES_DIR)[code]
    for locale_code, invoice, variant in sample["documents"]:
        if locale_code != code:
            continue
        text = pdf_text(sample["output"] / f"{_stem(variant)}.pdf")
        formatter = Formatter(for_code(code).babel, invoice["currency"])
        # The total of the document is billing.invoices' total, read on its own.
        total = normalized(formatter.money(sample["totals"][invoice["invoice_id"]]))
        assert variant["number"] in text
        assert f"{normalized(labels['total_due'])} {total}" in text, (variant["number"], total)


def test_fonts_are_embedded_and_text_is_selectable(sample):
    _, _, variant = sample["documents"][0]
    reader = PdfReader(sample["output"] / f"{_stem(variant)}.pdf")
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts
    for font in fonts.values():
        font = font.get_object()
        descriptor = (
            font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if "/DescendantFonts" in font
            else font["/FontDescriptor"]
        ).get_object()
        assert any(name in descriptor for name in ("/FontFile", "/FontFile2", "/FontFile3")), font
        assert "DejaVu" in str(font["/BaseFont"])
    assert len(reader.pages[0].extract_text()) > 200


def test_a_draft_pdf_carries_the_watermark_in_its_language(sample):
    drafts = [
        (code, variant)
        for code, invoice, variant in sample["documents"]
        if invoice["status"] == "draft"
    ]
    assert drafts
    labels = load_labels(LOCALES_DIR)
    for code, variant in drafts:
        assert labels[code]["draft_watermark"] in pdf_text(
            sample["output"] / f"{_stem(variant)}.pdf"
        )


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (Debian poppler-utils) is not installed"
)
def test_the_first_page_rasterizes_to_a_filled_a4_page(sample, tmp_path):
    # The visual check: one page per locale as a PNG (docs/images/ keeps the reviewed ones).
    for code in SUPPORTED:
        _, _, variant = next(item for item in sample["documents"] if item[0] == code)
        prefix = tmp_path / code
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "40",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(sample["output"] / f"{_stem(variant)}.pdf"),
                str(prefix),
            ],
            check=True,
        )
        image = Image.open(f"{prefix}.png").convert("L")
        width, height = image.size
        assert abs(height / width - 297 / 210) < 0.02  # A4 portrait
        dark = sum(1 for value in image.getdata() if value < 128)
        assert (
            0.005 < dark / (width * height) < 0.3
        )  # text on a white page, neither blank nor black


def test_a_document_never_fetches_anything_but_inline_data(tmp_path):
    image = tmp_path / "secret.png"
    Image.new("RGB", (4, 4), "red").save(image)
    html = (
        f'<html><body><p>x</p><img src="file://{image}"><img src="http://198.51.100.1/logo.png">'
        "</body></html>"
    )
    write_pdf(html, tmp_path / "out.pdf")
    page = PdfReader(tmp_path / "out.pdf").pages[0]
    assert not page["/Resources"].get("/XObject")  # neither image was read


def test_a_document_that_cannot_be_rendered_is_reported_and_the_others_are_written(tmp_path):
    warehouse = create_sample_warehouse(tmp_path / "w.duckdb", invoices=3)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        good, broken, *_ = load_invoice_documents(con)
    broken = {**broken, "currency": None}  # nothing can format its amounts
    result = publish_documents([good, broken], tmp_path / "out", tmp_path, workers=1)
    assert result.rendered == 1
    assert len(result.failures) == 1 and result.failures[0].startswith(file_stem(broken))
    assert (tmp_path / "out" / f"{file_stem(good)}.pdf").is_file()
    # the failed document is not recorded, so the next run tries it again
    again = publish_documents([good, broken], tmp_path / "out", tmp_path, workers=1)
    assert (again.skipped, len(again.failures)) == (1, 1)


def test_a_long_invoice_has_its_footer_and_page_number_on_every_page_and_reads_in_order(
    tmp_path,
):
    # Fee rows are laid out as positioned blocks (styles.css): the PDF must still draw, and
    # text extraction read, the fee lines before the totals, and break pages between rows.
    warehouse = create_sample_warehouse(tmp_path / "w.duckdb", invoices=3)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        invoice = next(doc for doc in load_invoice_documents(con) if doc["number"] == "RB-001-001")
    long = copy.deepcopy(invoice)
    (section,) = long["sections"]
    section["fees"] = [
        {**fee, "name": f"{fee['name']} {number:02d}"}
        for number, fee in enumerate(section["fees"] * 15, start=1)
    ]
    render_one(long, "long", tmp_path, renderer=HtmlRenderer())
    pages = [normalized(page.extract_text()) for page in PdfReader(tmp_path / "long.pdf").pages]
    assert len(pages) >= 3  # 60 fee lines
    footer = normalized(long["organization"]["invoice_footer"])
    for number, text in enumerate(pages, start=1):
        assert footer in text
        assert text.endswith(f"{number} / {len(pages)}")
    text = " ".join(pages)
    formatter = Formatter(for_code("en").babel, "USD")
    positions = [text.index(f"{fee['name']} ") for fee in section["fees"]]
    assert positions == sorted(positions) and len(positions) == 60
    for fee, start in zip(section["fees"], positions, strict=True):
        line = text[start : start + 120]  # the name, its filter or groups, then its figures
        figures = [
            formatter.units(fee["units"]),
            normalized(formatter.unit_price(fee["unit_price"])),
            normalized(formatter.percent(fee["taxes_rate"])),
            normalized(formatter.money(fee["amount_cents"])),
        ]
        assert " ".join(figures) in line, (fee["name"], line)
    total = f"Total due {normalized(formatter.money(long['total_amount_cents']))}"
    assert text.index(total) > positions[-1]
