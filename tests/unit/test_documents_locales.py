"""Every shipped locale labels every part of a document, and the right locale is picked."""

from __future__ import annotations

import re
import string

import pytest

from dagster_project.lib.documents.html import LOCALES_DIR, TEMPLATES_DIR
from dagster_project.lib.documents.locales import (
    SUPPORTED,
    load_labels,
    missing_labels,
    resolve_locale,
)


@pytest.fixture(scope="module")
def labels():
    return load_labels(LOCALES_DIR)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_eight_languages_of_the_issue_are_shipped(labels):
    assert set(labels) == {"en", "fr", "de", "es", "it", "sv", "nb", "pt-BR"} == set(SUPPORTED)


@pytest.mark.parametrize("code", SUPPORTED)
def test_every_locale_has_every_label_of_english_and_no_other(labels, code):
    assert missing_labels(labels).get(code, []) == []
    assert set(labels[code]) == set(labels["en"])


@pytest.mark.parametrize("code", [code for code in SUPPORTED if code != "en"])
def test_every_locale_is_translated_not_copied_from_english(labels, code):
    same = [key for key, text in labels["en"].items() if labels[code][key] == text]
    # A few words are the same in both languages (fr "Coupons", sv "Faktura"...), not most.
    assert len(same) <= len(labels["en"]) // 6, same


@pytest.mark.parametrize("code", SUPPORTED)
def test_placeholders_are_kept_in_every_translation(labels, code):
    for key, text in labels["en"].items():
        assert _placeholders(labels[code][key]) == _placeholders(text), (code, key)


def test_missing_labels_reports_a_missing_or_empty_key():
    labels = {"en": {"a": "A", "b": "B"}, "fr": {"a": "A"}, "de": {"a": "", "b": "B"}}
    assert missing_labels(labels) == {"fr": ["b"], "de": ["a"]}


def test_every_label_the_templates_use_exists_in_english(labels):
    used = set()
    for path in TEMPLATES_DIR.rglob("*.html"):
        used |= set(re.findall(r"\bt\.([a-z_]+)", path.read_text(encoding="utf-8")))
    assert used, "templates should read labels as t.<key>"
    assert used - {"get"} <= set(labels["en"])


@pytest.mark.parametrize(
    ("customer", "organization", "labels_code", "babel_code"),
    [
        ("fr", "en", "fr", "fr"),
        (None, "de", "de", "de"),
        ("", None, "en", "en"),
        ("pt-BR", None, "pt-BR", "pt_BR"),
        ("pt_BR", None, "pt-BR", "pt_BR"),
        ("pt", None, "pt-BR", "pt"),
        ("fr-CA", None, "fr", "fr_CA"),
        ("no", None, "nb", "no"),
        ("xx", "sv", "sv", "sv"),  # unknown customer locale: the organization's
        ("xx", "yy", "en", "en"),
    ],
)
def test_document_locale_is_the_customers_else_the_organizations_else_english(
    customer, organization, labels_code, babel_code
):
    locale = resolve_locale(customer, organization)
    assert locale.labels == labels_code
    assert str(locale.babel) == babel_code
