"""What makes a thousand invoices render in well under a minute (bench/documents.py)."""

from __future__ import annotations

import difflib

from dagster_project.lib.documents import pdf
from dagster_project.lib.documents.publish import _batches


def test_the_user_agent_stylesheet_loses_only_its_every_element_pseudo_element_rules():
    # WeasyPrint computes ::marker, ::footnote-* and ::note-* styles for every element while
    # its stylesheet matches them on every element; a WeasyPrint upgrade that rewords those
    # rules would silently make every document slower again.
    from weasyprint.html import UA

    ua, changed = pdf.documents_ua_stylesheet(UA)
    assert changed == 6
    removed = [line for line in difflib.ndiff(UA.splitlines(), ua.splitlines()) if line[:2] == "- "]
    added = [line for line in difflib.ndiff(UA.splitlines(), ua.splitlines()) if line[:2] == "+ "]
    assert [line[2:].split(" {")[0] for line in removed] == [
        "::marker",
        "::footnote-call",
        "::footnote-marker",
        "::note-call",
        "::note-marker",
        "::note-callback",
    ]
    assert [line[2:].split(" {")[0] for line in added] == ["li::marker"]


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
