"""Renders a document dict (lib/documents/loading.py) to HTML with Jinja2.

Autoescaping is on for every template: a customer named `<script>` is printed
as text. A label or variable the templates use but nobody provides fails the
render (StrictUndefined) instead of printing an empty string.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from dagster_project.lib.documents.formatting import Formatter
from dagster_project.lib.documents.locales import DocumentLocale, load_labels, resolve_locale

# Templates and label files ship with the Dagster asset that uses them.
DOCUMENTS_DIR = Path(__file__).resolve().parents[2] / "defs" / "documents"
TEMPLATES_DIR = DOCUMENTS_DIR / "templates"
LOCALES_DIR = DOCUMENTS_DIR / "locales"

_TEMPLATES = {"invoice": "invoice.html", "credit_note": "credit_note.html"}
_HEAD_END = "</head>"


def _fill(text: str, **values: object) -> str:
    """`{{ t.tax_line | fill(name=..., rate=...) }}`: a label with its placeholders filled."""
    return text.format(**values)


def document_locale(document: dict) -> DocumentLocale:
    """The customer's document_locale, else the organization's, else English."""
    return resolve_locale(
        document["customer"].get("document_locale"), document["organization"].get("document_locale")
    )


@dataclass
class HtmlRenderer:
    """Jinja environment and label files, loaded once and reused for every document."""

    templates_dir: Path = TEMPLATES_DIR
    locales_dir: Path = LOCALES_DIR

    def __post_init__(self) -> None:
        self.labels = load_labels(self.locales_dir)
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.templates_dir)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters["fill"] = _fill
        # The documents' CSS, for the PDF writer to parse once rather than once per document.
        self.stylesheet = (self.templates_dir / "styles.css").read_text(encoding="utf-8")

    def render(
        self,
        document: dict,
        locale: DocumentLocale | None = None,
        logo: str | None = None,
        inline_styles: bool = True,
    ) -> str:
        """The document as a self-contained HTML page (styles inline, logo as a data URI);
        `inline_styles=False` leaves the stylesheet out, for the PDF writer."""
        page = self.render_page(document, locale, logo)
        return self.with_styles(page) if inline_styles else page

    def render_page(
        self, document: dict, locale: DocumentLocale | None = None, logo: str | None = None
    ) -> str:
        """The document's HTML without its stylesheet: the PDF writer's input (it is given the
        stylesheet parsed once per process), and the HTML file once `with_styles` adds it."""
        locale = locale or document_locale(document)
        customer = document["customer"]
        formatter = Formatter(
            locale.babel,
            document["currency"],
            customer.get("timezone") or document["organization"].get("timezone"),
        )
        territories = locale.babel.territories
        template = self.environment.get_template(_TEMPLATES[document["kind"]])
        return template.render(
            document=document,
            organization=document["organization"],
            customer=customer,
            t=self.labels[locale.labels],
            fmt=formatter,
            lang=locale.html_lang,
            logo=logo,
            is_draft=document.get("status") == "draft",
            is_voided=document.get("status") == "voided",
            show_tax_rate=_any_taxed_fee(document),
            country_name=lambda code: territories.get(str(code).upper(), code),
        )

    def with_styles(self, page: str) -> str:
        """A page of `render_page` with the stylesheet inlined in its head: the HTML file, made
        from the same rendering as the PDF rather than a second one."""
        head, marker, rest = page.partition(_HEAD_END)
        if not marker:
            raise ValueError(f"the document template has no {_HEAD_END}: nowhere to put styles")
        return f"{head}<style>\n{self.stylesheet}</style>\n{marker}{rest}"


def _any_taxed_fee(document: dict) -> bool:
    lines = [line for section in document.get("sections", []) for line in section["fees"]]
    lines += document.get("other_fees", [])
    return any(line["taxes_rate"] for line in lines)
