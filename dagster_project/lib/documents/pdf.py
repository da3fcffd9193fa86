"""HTML -> PDF with WeasyPrint; its system libraries come from Debian packages.

WeasyPrint needs Pango (text layout) and HarfBuzz's subsetter (embedding only
the glyphs used; without it WeasyPrint falls back to fontTools and a PDF takes
ten times longer), and fonts: DejaVu Sans from fonts-dejavu-core. Text stays
text (selectable, extractable) and the fonts are embedded as subsets.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

# What `make setup` installs on Debian/Ubuntu when they are missing.
DEBIAN_PACKAGES = (
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "fonts-dejavu-core",
)
_INSTALL_HINT = "apt-get install -y " + " ".join(DEBIAN_PACKAGES)
_FONT_FILE = "DejaVuSans.ttf"
_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")


class PdfSetupError(RuntimeError):
    """WeasyPrint or its system libraries or fonts are missing."""


@lru_cache(maxsize=1)
def weasyprint_module():
    """Imports WeasyPrint, or explains which Debian packages are missing."""
    try:
        import weasyprint
    except OSError as exc:  # cffi could not dlopen Pango & co.
        raise PdfSetupError(
            f"WeasyPrint cannot load its system libraries ({exc}). On Debian/Ubuntu install them "
            f"with `{_INSTALL_HINT}` (or run `make setup` as root)."
        ) from exc
    except ImportError as exc:
        raise PdfSetupError(
            f"WeasyPrint is not installed in this environment ({exc}): run `make setup`."
        ) from exc
    return weasyprint


def check_pdf_setup() -> list[str]:
    """Fails when PDFs cannot be made; returns warnings for what only makes them slower."""
    weasyprint_module()
    fonts = [
        path
        for folder in _FONT_DIRS
        if Path(folder).expanduser().is_dir()
        for path in Path(folder).expanduser().rglob(_FONT_FILE)
    ]
    if not fonts:
        raise PdfSetupError(
            f"the font DejaVu Sans ({_FONT_FILE}) is not installed: invoice PDFs embed it. "
            f"On Debian/Ubuntu: `apt-get install -y fonts-dejavu-core`."
        )
    warnings = []
    from weasyprint.text import ffi as text_ffi

    if getattr(text_ffi, "harfbuzz_subset", None) is None:
        warnings.append(
            "HarfBuzz's subsetter (Debian libharfbuzz-subset0) is missing: WeasyPrint falls back "
            "to fontTools and PDFs take about ten times longer."
        )
    return warnings


# WeasyPrint's user-agent stylesheet (weasyprint/css/html5_ua.css) styles `::marker`,
# `::footnote-call`, `::footnote-marker` and `::note-*` with bare pseudo-element selectors, which
# match every element: WeasyPrint then cascades and computes those pseudo-elements' styles for
# every element of every document. Invoices have neither lists nor footnotes, so markers are
# kept for list items only and the footnote and note rules are dropped: a document renders about
# 13% faster (bench/documents.py) and looks the same, pixel for pixel. Its `@page` rule also
# styles all sixteen page-margin boxes and the footnote and note areas, so that every page
# computes their styles; invoices use two of them (styles.css: footer and page number), and the
# others' rules are dropped (about 2% of a document, the same pixels). Everything else of the
# user-agent stylesheet is kept as it is.
_UA_PSEUDO_RULES = (
    (re.compile(r"^::marker\b", re.MULTILINE), "li::marker"),
    (re.compile(r"^::(?:footnote|note)-[a-z]+ \{[^}]*\}\n", re.MULTILINE), ""),
    (re.compile(r"^  @(?!bottom-left |bottom-right )[a-z-]+ +\{[^}]*\}\n", re.MULTILINE), ""),
)


def documents_ua_stylesheet(ua: str) -> tuple[str, int]:
    """WeasyPrint's user-agent stylesheet without its every-element pseudo-element rules and its
    unused page-margin rules, and how many rules were changed (fewer if a WeasyPrint upgrade
    reworded them: then only slower)."""
    changed = 0
    for pattern, replacement in _UA_PSEUDO_RULES:
        ua, count = pattern.subn(replacement, ua)
        changed += count
    return ua, changed


@lru_cache(maxsize=1)
def _html_class():
    """weasyprint.HTML with the documents' user-agent stylesheet, parsed once per process, and a
    faster parser for the documents' own HTML (see `DocumentHTML.__init__`)."""
    weasyprint = weasyprint_module()
    import cssselect2
    from weasyprint import html as weasyprint_html

    ua, _ = documents_ua_stylesheet(weasyprint_html.UA)
    stylesheet = weasyprint.CSS(string=ua, counter_style=weasyprint_html.UA_COUNTER_STYLE)

    class DocumentHTML(weasyprint.HTML):
        def __init__(self, string: str, url_fetcher=None):
            """The templates write well-formed markup (void elements closed, entities escaped
            by Jinja), so expat (C) parses it in 0.1 ms where WeasyPrint's pure-Python HTML5
            parser takes about 3.5 ms, to the same tree: elements without namespace, as
            WeasyPrint's parser makes them. Anything expat refuses (a control character in a
            customer's name, hand-written HTML) goes through WeasyPrint's parser as before.
            The attributes set here are the ones `weasyprint.HTML.__init__` sets
            (tests/unit/test_documents_rendering_speed.py checks that they still are)."""
            try:
                root = ElementTree.fromstring(string)
            except ElementTree.ParseError:
                super().__init__(string=string, url_fetcher=url_fetcher)
                return
            self.base_url = None
            self.url_fetcher = url_fetcher or weasyprint.URLFetcher()
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(
                root, content_language=None
            )
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms=False):
            return [stylesheet]

    return DocumentHTML


@lru_cache(maxsize=1)
def _weasyprint_context():
    """Per process: one font configuration, an image cache (the logo is decoded once), and a
    fetcher that only reads `data:` URLs (documents are self-contained; the logo is inlined),
    so no HTML ever reaches the network."""
    from weasyprint.text.fonts import FontConfiguration

    fetcher = weasyprint_module().URLFetcher(allowed_protocols={"data"})
    return FontConfiguration(), fetcher, {}


@lru_cache(maxsize=4)
def _stylesheet(text: str):
    font_config, _, _ = _weasyprint_context()
    return weasyprint_module().CSS(string=text, font_config=font_config)


def write_pdf(html: str, path: Path, stylesheet: str = "") -> None:
    """One HTML page to one PDF file, written under a temporary name and moved into place.

    `stylesheet` is parsed once per process and reused (the HTML then leaves it out)."""
    font_config, fetcher, images = _weasyprint_context()
    partial = path.with_name(f".{path.name}.partial")
    document = _html_class()(string=html, url_fetcher=fetcher).render(
        font_config=font_config,
        stylesheets=[_stylesheet(stylesheet)] if stylesheet else [],
        cache=images,
    )
    document.write_pdf(partial, pdf_identifier=path.stem.encode("utf-8"))
    os.replace(partial, path)
