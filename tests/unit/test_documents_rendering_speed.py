"""What makes a thousand invoices render in well under a minute (bench/documents.py)."""

from __future__ import annotations

import difflib
from xml.etree import ElementTree

import duckdb
import pytest
from pypdf import PdfReader

from dagster_project.lib.documents import pdf
from dagster_project.lib.documents.html import HtmlRenderer, document_locale
from dagster_project.lib.documents.loading import load_invoice_documents
from dagster_project.lib.documents.publish import _batches, render_one
from dagster_project.lib.documents.sample import LOGO_DATA_URI, create_sample_warehouse


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    path = create_sample_warehouse(tmp_path_factory.mktemp("speed") / "sample.duckdb", invoices=12)
    with duckdb.connect(str(path), read_only=True) as con:
        return load_invoice_documents(con)


@pytest.fixture(scope="module")
def renderer():
    return HtmlRenderer()


def _layout(html_document, stylesheet: str) -> list[tuple]:
    """Every box of every page: its type, position, size and text, in tree order."""
    font_config, _, images = pdf._weasyprint_context()
    rendered = html_document.render(
        font_config=font_config, stylesheets=[pdf._stylesheet(stylesheet)], cache=images
    )
    boxes = []

    def walk(box):
        boxes.append(
            (
                type(box).__name__,
                getattr(box, "element_tag", None),
                round(box.position_x, 3),
                round(box.position_y, 3),
                round(box.width, 3) if isinstance(box.width, float | int) else box.width,
                round(box.height, 3) if isinstance(box.height, float | int) else box.height,
                getattr(box, "text", None),
            )
        )
        for child in getattr(box, "children", ()):
            walk(child)

    for page in rendered.pages:
        walk(page._page_box)
    return boxes


def test_the_user_agent_stylesheet_loses_only_its_every_element_and_unused_page_margin_rules():
    # WeasyPrint computes ::marker, ::footnote-* and ::note-* styles for every element while
    # its stylesheet matches them on every element, and the styles of every page-margin box its
    # @page rule names; a WeasyPrint upgrade that rewords those rules would silently make every
    # document slower again.
    from weasyprint.html import UA

    ua, changed = pdf.documents_ua_stylesheet(UA)
    assert changed == 22
    removed = [line for line in difflib.ndiff(UA.splitlines(), ua.splitlines()) if line[:2] == "- "]
    added = [line for line in difflib.ndiff(UA.splitlines(), ua.splitlines()) if line[:2] == "+ "]
    assert [line[2:].split(" {")[0].strip() for line in removed] == [
        "::marker",
        "::footnote-call",
        "::footnote-marker",
        "::note-call",
        "::note-marker",
        "::note-callback",
        "@footnote",
        "@note-area",
        "@top-left-corner",
        "@top-left",
        "@top-center",
        "@top-right",
        "@top-right-corner",
        "@left-top",
        "@left-middle",
        "@left-bottom",
        "@right-top",
        "@right-middle",
        "@right-bottom",
        "@bottom-left-corner",
        "@bottom-center",
        "@bottom-right-corner",
    ]
    assert [line[2:].split(" {")[0] for line in added] == ["li::marker"]
    # the two margin boxes the documents use keep their alignment
    assert "  @bottom-left         { text-align: left;   vertical-align: middle }" in ua
    assert "  @bottom-right        { text-align: right;  vertical-align: middle }" in ua


def test_documents_are_parsed_with_the_documents_user_agent_stylesheet_made_once():
    from weasyprint.html import UA_STYLESHEET

    (stylesheet,) = pdf._html_class()(string="<p>x</p>")._ua_stylesheets()
    assert stylesheet is not UA_STYLESHEET
    assert stylesheet is pdf._html_class()(string="<p>y</p>")._ua_stylesheets()[0]


def test_a_thousand_documents_go_to_two_workers_ten_at_a_time():
    batches = _batches(list(range(1000)), workers=2)
    assert [len(batch) for batch in batches] == [10] * 100
    assert sum(batches, []) == list(range(1000))


def test_a_few_documents_still_make_four_batches_per_worker():
    assert [len(batch) for batch in _batches(list(range(20)), workers=2)] == [3] * 6 + [2]


def test_the_templates_write_markup_that_expat_parses(documents, renderer):
    # The PDF writer parses the documents' HTML with expat (0.1 ms) instead of WeasyPrint's
    # pure-Python HTML5 parser (3.5 ms); a template that stops writing well-formed markup (an
    # unclosed <col>, a <br>) would silently fall back to the slow parser.
    for document in documents:
        root = ElementTree.fromstring(renderer.render_page(document, logo=LOGO_DATA_URI))
        assert root.tag == "html"
        assert [child.tag for child in root] == ["head", "body"]


def test_expat_sets_what_weasyprints_own_html_parser_sets():
    weasyprint = pdf.weasyprint_module()
    own = weasyprint.HTML(string="<html><body><p>x</p></body></html>")
    fast = pdf._html_class()(string="<html><body><p>x</p></body></html>")
    assert set(vars(fast)) == set(vars(own))
    assert (fast.base_url, fast.media_type) == (own.base_url, own.media_type)
    assert fast.etree_element.tag == own.etree_element.tag == "html"


def test_an_invoice_parsed_by_expat_is_laid_out_as_weasyprints_parser_lays_it_out(
    documents, renderer
):
    weasyprint = pdf.weasyprint_module()
    draft = next(doc for doc in documents if doc["status"] == "draft")
    richest = max(documents, key=lambda doc: sum(len(s["fees"]) for s in doc["sections"]))
    for document in (draft, richest):
        page = renderer.render_page(document, logo=LOGO_DATA_URI)
        fast = pdf._html_class()(string=page)
        own = pdf._html_class().__new__(pdf._html_class())
        weasyprint.HTML.__init__(own, string=page, url_fetcher=fast.url_fetcher)
        fast_layout = _layout(fast, renderer.stylesheet)
        assert len(fast_layout) > 150
        assert fast_layout == _layout(own, renderer.stylesheet)


def test_markup_expat_refuses_goes_through_weasyprints_parser(documents, renderer, tmp_path):
    # A vertical tab is not allowed in XML 1.0; HTML5 parsers keep it.
    document = {**documents[0], "customer": {**documents[0]["customer"], "name": "Tab\x0bCo"}}
    page = renderer.render_page(document)
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(page)
    pdf.write_pdf(page, tmp_path / "fallback.pdf", renderer.stylesheet)
    # (the vertical tab is drawn as a missing glyph, which leaves NULs in pypdf's extraction)
    text = PdfReader(tmp_path / "fallback.pdf").pages[0].extract_text().replace("\x00", "")
    assert "Tab" in text and document["number"] in text


def test_the_html_file_and_the_pdf_come_from_one_rendering(documents, renderer, tmp_path):
    document = documents[0]
    locale = document_locale(document)
    render_one(document, "one", tmp_path, LOGO_DATA_URI, renderer)
    page = renderer.render_page(document, locale, LOGO_DATA_URI)
    html = (tmp_path / "one.html").read_text(encoding="utf-8")
    assert html == renderer.with_styles(page)
    assert html == renderer.render(document, locale, LOGO_DATA_URI)
    assert html.index("<style>") < html.index("</head>")
    assert renderer.stylesheet in html and renderer.stylesheet not in page
