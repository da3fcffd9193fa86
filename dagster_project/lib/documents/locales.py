"""Document locales: which language a document is written in, and its labels.

A customer's `document_locale` wins, else the organization's, else English
(Lago's `Customer#preferred_document_locale`). The label file is the closest
shipped language; numbers, dates and currencies follow the exact locale when
Babel knows it (`fr-CA` gets French labels and Canadian-French number formats).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from babel import Locale, UnknownLocaleError

# The shipped label files (locales/<code>.yaml); `en` is the reference set of keys.
SUPPORTED = ("en", "fr", "de", "es", "it", "sv", "nb", "pt-BR")
DEFAULT = "en"
# Languages whose labels come from another shipped file.
_ALIASES = {"pt": "pt-BR", "no": "nb", "nn": "nb"}


@dataclass(frozen=True)
class DocumentLocale:
    """`labels`: the label file's code (`pt-BR`); `babel`: the Babel locale for formats."""

    labels: str
    babel: Locale

    @property
    def html_lang(self) -> str:
        return self.labels


def _babel_locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _label_file(code: str) -> str | None:
    wanted = code.replace("_", "-").lower()
    for supported in SUPPORTED:
        if supported.lower() == wanted:
            return supported
    language = wanted.split("-")[0]
    if language in _ALIASES:
        return _ALIASES[language]
    return language if language in SUPPORTED else None


def resolve_locale(customer_locale: str | None, organization_locale: str | None) -> DocumentLocale:
    """The first of customer, organization and English that names a shipped language."""
    for candidate in (customer_locale, organization_locale):
        if not candidate or not str(candidate).strip():
            continue
        code = str(candidate).strip()
        labels = _label_file(code)
        if labels is None:
            continue
        babel = _babel_locale(code) or _babel_locale(labels)
        if babel is not None:
            return DocumentLocale(labels, babel)
    return DocumentLocale(DEFAULT, Locale.parse(DEFAULT))


def for_code(code: str) -> DocumentLocale:
    """A shipped locale by its code (`pt-BR`), as when rendering one document in every locale."""
    return resolve_locale(code, None)


class LabelError(ValueError):
    """A label file is missing, unreadable or not a flat mapping of strings."""


def load_labels(locales_dir: Path) -> dict[str, dict[str, str]]:
    """Every shipped label file: {locale code: {key: text}}."""
    labels: dict[str, dict[str, str]] = {}
    for code in SUPPORTED:
        path = locales_dir / f"{code}.yaml"
        if not path.is_file():
            raise LabelError(f"{path}: the label file of locale {code} is missing")
        with path.open(encoding="utf-8") as handle:
            content = yaml.safe_load(handle)
        if not isinstance(content, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in content.items()
        ):
            raise LabelError(f"{path}: expected a flat mapping of label key to text")
        labels[code] = content
    return labels


def missing_labels(labels: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Per locale, the keys of the English file it lacks (or leaves empty)."""
    reference = labels[DEFAULT]
    return {
        code: sorted(key for key in reference if not str(texts.get(key, "")).strip())
        for code, texts in labels.items()
        if any(not str(texts.get(key, "")).strip() for key in reference)
    }
