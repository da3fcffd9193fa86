"""The HTML of an invoice: escaped, complete, in the customer's language, adding up."""

from __future__ import annotations

import re
import shutil
from html import unescape
from xml.etree import ElementTree

import duckdb
import jinja2
import pytest
from babel import Locale

from dagster_project.lib.documents.formatting import Formatter
from dagster_project.lib.documents.html import LOCALES_DIR, TEMPLATES_DIR, HtmlRenderer
from dagster_project.lib.documents.loading import load_credit_note_documents, load_invoice_documents
from dagster_project.lib.documents.locales import SUPPORTED, for_code, load_labels
from dagster_project.lib.documents.sample import LOGO_DATA_URI, MARKUP_NAME, create_sample_warehouse


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    path = create_sample_warehouse(
        tmp_path_factory.mktemp("documents") / "sample.duckdb", invoices=40
    )
    with duckdb.connect(str(path), read_only=True) as con:
        return load_invoice_documents(con)


@pytest.fixture(scope="module")
def renderer():
    return HtmlRenderer()


def _text(html: str) -> str:
    """What a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    body = re.sub(r"<style>.*?</style>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def _by_number(documents, number):
    return next(doc for doc in documents if doc["number"] == number)


def test_a_customer_named_like_markup_is_printed_as_text(documents, renderer):
    doc = next(d for d in documents if d["customer"]["name"] == MARKUP_NAME)
    html = renderer.render(doc)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt; &amp; Co" in html
    assert MARKUP_NAME in _text(html)


def test_every_total_line_is_the_invoices_own_amount_in_lagos_order(documents, renderer):
    doc = _by_number(documents, "RB-001-001")  # coupon, tax, credit note and prepaid credits
    fmt = Formatter(Locale.parse("en"), "USD")
    text = _text(renderer.render(doc))
    totals = text[text.index("Fees " + fmt.money(doc["fees_amount_cents"])) :]
    expected = [
        "Fees " + fmt.money(doc["fees_amount_cents"]),
        "Coupon: Welcome offer -10% " + fmt.deduction(doc["coupons_amount_cents"]),
        "Subtotal (excl. tax) " + fmt.money(doc["sub_total_excluding_taxes_amount_cents"]),
        f"Sales tax (7.25% on {fmt.money(doc['sub_total_excluding_taxes_amount_cents'])}) "
        + fmt.money(doc["taxes_amount_cents"]),
        "Subtotal (incl. tax) " + fmt.money(doc["sub_total_including_taxes_amount_cents"]),
        "Credit note RB-CN-0000 " + fmt.deduction(doc["credit_notes_amount_cents"]),
        "Prepaid credits " + fmt.deduction(doc["prepaid_credit_amount_cents"]),
        "Total due " + fmt.money(doc["total_amount_cents"]),
    ]
    positions = [totals.index(line) for line in expected]
    assert positions == sorted(positions)


def test_a_draft_is_watermarked_and_a_finalized_invoice_is_not(documents, renderer):
    draft = next(d for d in documents if d["status"] == "draft")
    final = next(d for d in documents if d["status"] == "finalized")
    assert 'class="watermark"' in renderer.render(draft)
    assert "DRAFT" in _text(renderer.render(draft))
    assert 'class="watermark"' not in renderer.render(final)


def test_a_voided_invoice_is_watermarked_and_says_it_is_not_due(documents, renderer):
    final = next(d for d in documents if d["status"] == "finalized")
    voided = {**final, "status": "voided"}
    text = _text(renderer.render(voided))
    assert 'class="watermark"' in renderer.render(voided)
    assert "VOIDED" in text and "Voided: this invoice was cancelled and is not due." in text
    french = {**_by_number(documents, "RB-002-001"), "status": "voided"}  # cust_fr
    assert "ANNULÉE" in _text(renderer.render(french))


def test_fee_lines_show_name_units_unit_price_filter_and_group_values(documents, renderer):
    doc = next(
        d for d in documents if any(line["groups"] for s in d["sections"] for line in s["fees"])
    )
    text = _text(renderer.render(doc))
    line = next(line for s in doc["sections"] for line in s["fees"] if line["groups"])
    assert line["name"] in text
    assert " · ".join(line["groups"]) in text


def test_the_document_uses_the_customers_language(documents, renderer):
    doc = _by_number(documents, "RB-002-001")  # cust_fr
    html = renderer.render(doc)
    assert '<html lang="fr">' in html
    assert "Total à payer" in _text(html)


def test_a_customer_without_locale_gets_the_organizations(documents, renderer):
    doc = next(d for d in documents if d["currency"] == "JPY")
    assert '<html lang="en">' in renderer.render(doc)


def test_every_invoice_renders_in_every_locale(documents, renderer):
    for code in SUPPORTED:
        for doc in documents:
            assert doc["number"] in renderer.render(doc, for_code(code))


def test_the_html_file_is_self_contained(documents, renderer):
    html = renderer.render(documents[0], logo=LOGO_DATA_URI)
    assert "<style>" in html and "@page" in html
    assert f'src="{LOGO_DATA_URI}"' in html
    assert "http://" not in html and "https://" not in html


def test_the_tax_rate_column_appears_only_when_a_fee_is_taxed(documents, renderer):
    taxed = _by_number(documents, "RB-002-001")
    untaxed = next(d for d in documents if d["currency"] == "JPY")
    assert "Taux de TVA" in _text(renderer.render(taxed))
    assert "Tax rate" not in _text(renderer.render(untaxed))


def test_a_label_missing_from_a_locale_fails_the_render(tmp_path, documents):
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    shutil.copytree(LOCALES_DIR, tmp_path / "locales")
    invoice = templates / "invoice.html"
    invoice.write_text(invoice.read_text().replace("t.invoice_title", "t.no_such_label", 1))
    with pytest.raises(jinja2.UndefinedError, match="no_such_label"):
        HtmlRenderer(templates, tmp_path / "locales").render(documents[0])


def test_a_credit_note_is_rendered_from_billing_credit_notes_when_the_marts_have_it(tmp_path):
    path = create_sample_warehouse(tmp_path / "notes.duckdb", invoices=3)
    with duckdb.connect(str(path)) as con:
        invoice_id, fee_id = con.execute(
            "select invoice_id, fee_id from billing.fees where external_customer_id = 'cust_en'"
            " order by fee_id limit 1"
        ).fetchone()
        con.execute(
            """create table billing.credit_notes as select
                'cn1' as credit_note_id, 'RB-001-001-CN001' as number, ? as invoice_id,
                date '2024-03-15' as issuing_date, 'USD' as currency, 'order_change' as reason,
                1000 as sub_total_excluding_taxes_amount_cents, 73 as taxes_amount_cents,
                1073 as total_amount_cents, 1073 as credit_amount_cents, 0 as refund_amount_cents""",
            [invoice_id],
        )
        con.execute(
            "create table billing.credit_note_items as select 'cn1' as credit_note_id, ? as fee_id,"
            " 1000 as amount_cents",
            [fee_id],
        )
    with duckdb.connect(str(path), read_only=True) as con:
        invoices = load_invoice_documents(con)
        (note,) = load_credit_note_documents(con, invoices)
    text = _text(HtmlRenderer().render(note))
    assert "Credit note" in text and "RB-001-001-CN001" in text
    # well-formed, so that the PDF writer parses it with expat (pdf.py)
    assert ElementTree.fromstring(HtmlRenderer().render_page(note)).tag == "html"
    assert "Order change" in text
    assert "Total credited $10.73" in text


def test_the_widest_number_label_and_date_of_every_locale_fit_their_columns(renderer):
    # The number and dates of the header are two blocks of lines side by side (labels, values)
    # without wrapping, so that their lines stay paired: each line must fit its column. The
    # widest dates are September's (es: "28 de septiembre de 2024").
    from datetime import date

    from dagster_project.lib.documents.pdf import weasyprint_module

    labels = load_labels(LOCALES_DIR)
    weasyprint = weasyprint_module()
    stylesheet = weasyprint.CSS(string=renderer.stylesheet)

    def blocks(box):
        if type(box).__name__ == "BlockBox" and box.element_tag == "p":
            yield box
        for child in getattr(box, "children", ()):
            yield from blocks(child)

    checked = 0
    for code in SUPPORTED:
        keys = ("invoice_number", "credit_note_number", "original_invoice", "issuing_date")
        label_lines = [labels[code][key] for key in keys]
        formatter = Formatter(for_code(code).babel, "EUR")
        value_lines = ["RB-001-001-CN001"] + [
            formatter.date(date(2024, month, 28)) for month in range(1, 13)
        ]
        html = (
            '<html><body><header class="header"><div class="title"><div class="facts">'
            f'<p class="facts-labels">{chr(10).join(label_lines)}</p>'
            f'<p class="facts-values">{chr(10).join(value_lines)}</p>'
            "</div></div></header></body></html>"
        )
        (page,) = weasyprint.HTML(string=html).render(stylesheets=[stylesheet]).pages
        for block in blocks(page._page_box):
            for line in block.children:
                assert line.width <= block.width, (code, line.children[0].text, block.width)
                checked += 1
    assert checked == len(SUPPORTED) * (4 + 13)
