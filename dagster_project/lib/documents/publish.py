"""Writes `{number}.html` and `{number}.pdf` for every document whose content changed.

Rendering (Jinja, then WeasyPrint) runs in worker processes, a batch of
documents each: WeasyPrint is single-threaded and takes most of the time, so a
run scales with the machine's cores. The parent only reads the warehouse,
decides what changed (lib/documents/manifest.py) and keeps the manifest.
"""

from __future__ import annotations

import gc
import hashlib
import math
import multiprocessing
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import babel

from dagster_project.lib.documents import manifest
from dagster_project.lib.documents.html import (
    LOCALES_DIR,
    TEMPLATES_DIR,
    HtmlRenderer,
    document_locale,
)
from dagster_project.lib.documents.locales import for_code
from dagster_project.lib.documents.logo import LogoError, logo_data_uri
from dagster_project.lib.documents.pdf import check_pdf_setup, weasyprint_module, write_pdf

# The code that shapes what a document shows; editing it renders every document again.
SHAPING_CODE = tuple(
    Path(__file__).resolve().parent / name
    for name in ("loading.py", "formatting.py", "locales.py", "html.py", "pdf.py")
)


MIN_DOCUMENTS_FOR_WORKERS = 16


class DocumentRenderError(RuntimeError):
    """Some documents could not be rendered; the others were written."""


@dataclass
class PublishResult:
    output_dir: Path
    documents: int = 0
    rendered: int = 0
    skipped: int = 0
    deleted: int = 0
    kept_missing: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rendered_by_locale: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1


def _write_text(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


@lru_cache(maxsize=2)
def _renderer(templates_dir: str, locales_dir: str) -> HtmlRenderer:
    return HtmlRenderer(Path(templates_dir), Path(locales_dir))


def render_one(
    document: dict,
    stem: str,
    output_dir: Path,
    logo: str | None = None,
    renderer: HtmlRenderer | None = None,
    locale_code: str | None = None,
) -> str:
    """`{stem}.html` and `{stem}.pdf` for one document; returns the label locale used."""
    renderer = renderer or _renderer(str(TEMPLATES_DIR), str(LOCALES_DIR))
    locale = for_code(locale_code) if locale_code else document_locale(document)
    page = renderer.render_page(document, locale, logo)  # once, for both files
    _write_text(output_dir / f"{stem}.html", renderer.with_styles(page))
    write_pdf(page, output_dir / f"{stem}.pdf", renderer.stylesheet)
    return locale.labels


def _render_batch(
    batch: list[tuple[dict, str]],
    output_dir: str,
    logo: str | None,
    templates_dir: str,
    locales_dir: str,
) -> list[tuple[str, str | None, str | None]]:
    """Runs in a worker: (document key, locale, error) per document.

    One document's failure (bad data, a template error) must not lose the batch: it is
    reported with the document's number and the asset fails after writing the others."""
    renderer = _renderer(templates_dir, locales_dir)
    results = []
    for document, stem in batch:
        key = f"{document['kind']}:{document['document_id']}"
        try:
            results.append(
                (key, render_one(document, stem, Path(output_dir), logo, renderer), None)
            )
        except Exception as exc:  # noqa: BLE001 (reported by number; the asset then fails)
            results.append((key, None, f"{stem}: {type(exc).__name__}: {exc}"))
    return results


def _worker_started() -> None:
    """A worker only renders: WeasyPrint makes many short-lived objects, so the collector
    runs less often (a few percent faster)."""
    gc.set_threshold(50_000, 20, 20)


def _batches(items: list, workers: int) -> list[list]:
    """At least four batches per worker, at most 10 documents each: when the last batch
    starts, the other workers are at most 10 documents (under a second) from done, where
    batches of 50 left a core idle for up to 3 s at the end of a run. Sending a batch to a
    worker and back (pickling 15 KB) takes about 0.5 ms, against 600 ms to render it."""
    size = max(1, min(10, math.ceil(len(items) / (workers * 4))))
    return [items[start : start + size] for start in range(0, len(items), size)]


def fingerprint(templates_dir: Path = TEMPLATES_DIR, locales_dir: Path = LOCALES_DIR) -> str:
    """Changes when anything that shapes a document changes: templates, labels, this code,
    Babel's locale data or WeasyPrint."""
    return manifest.renderer_fingerprint(
        templates_dir,
        locales_dir,
        *SHAPING_CODE,
        extra=(babel.__version__, weasyprint_module().__version__),
    )


def publish_documents(
    documents: list[dict],
    output_dir: Path,
    data_dir: Path,
    *,
    force: bool = False,
    workers: int = 0,
    templates_dir: Path = TEMPLATES_DIR,
    locales_dir: Path = LOCALES_DIR,
) -> PublishResult:
    """Renders what changed since the last run, deletes what is stale, keeps the manifest."""
    started = time.perf_counter()
    output_dir.mkdir(parents=True, exist_ok=True)
    result = PublishResult(output_dir=output_dir, documents=len(documents))
    result.warnings += check_pdf_setup()

    logo = None
    organization = documents[0]["organization"] if documents else {}
    try:
        logo = logo_data_uri(organization.get("logo_url"), data_dir)
    except LogoError as exc:
        result.warnings.append(f"{exc}; documents are rendered without a logo")
    logo_digest = hashlib.sha256((logo or "").encode()).hexdigest()

    shape = fingerprint(templates_dir, locales_dir)
    hashes = {
        f"{doc['kind']}:{doc['document_id']}": manifest.content_hash(
            {**doc, "logo": logo_digest}, shape
        )
        for doc in documents
    }
    plan = manifest.plan(
        documents, hashes, manifest.read_manifest(output_dir), output_dir, force=force
    )
    result.skipped, result.kept_missing, result.duplicates = (
        plan.skipped,
        plan.kept_missing,
        plan.duplicates,
    )

    workers = max(1, workers or os.cpu_count() or 1)
    batches = _batches(plan.render, workers)
    args = (str(output_dir), logo, str(templates_dir), str(locales_dir))
    # Starting a worker costs about as much as rendering a dozen documents.
    if workers == 1 or len(plan.render) < MIN_DOCUMENTS_FOR_WORKERS:
        result.workers = 1
        outcomes = [outcome for batch in batches for outcome in _render_batch(batch, *args)]
    else:
        result.workers = min(workers, len(batches))
        # spawn: never fork a process that holds DuckDB and Dagster threads.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=result.workers, mp_context=context, initializer=_worker_started
        ) as pool:
            futures = [pool.submit(_render_batch, batch, *args) for batch in batches]
            outcomes = [outcome for future in futures for outcome in future.result()]

    locales: Counter[str] = Counter()
    for key, locale, error in outcomes:
        if error:
            result.failures.append(error)
            plan.entries.pop(key, None)  # not recorded: the next run tries again
        else:
            locales[locale] += 1
    result.rendered = sum(locales.values())
    result.rendered_by_locale = dict(sorted(locales.items()))

    for path in plan.delete:
        if path.is_file():
            path.unlink()
            result.deleted += 1
    manifest.write_manifest(output_dir, plan.entries)
    result.seconds = time.perf_counter() - started
    return result
