"""Pictures of invoice documents for the docs: one PDF page per locale, as PNG.

    .venv/bin/python -m dagster_project.lib.documents.previews [--out docs/images] [--warehouse PATH]

Renders the richest finalized sample invoice of each locale's customer (coupon,
taxes, credits, several charges) in that locale, plus one draft, and converts
page 1 of each PDF with pdftoppm (Debian poppler-utils). With --warehouse it
uses that warehouse's invoices instead (each in every locale).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

from dagster_project.lib.documents.loading import load_invoice_documents
from dagster_project.lib.documents.locales import SUPPORTED, resolve_locale
from dagster_project.lib.documents.manifest import file_stem
from dagster_project.lib.documents.publish import render_one
from dagster_project.lib.documents.sample import LOGO_DATA_URI, create_sample_warehouse
from dagster_project.lib.paths import PROJECT_ROOT


def _richness(document: dict) -> tuple:
    lines = sum(len(section["fees"]) for section in document["sections"])
    deductions = sum(
        bool(document[key])
        for key in (
            "coupons_amount_cents",
            "credit_notes_amount_cents",
            "prepaid_credit_amount_cents",
            "taxes_amount_cents",
        )
    )
    return (document["status"] == "finalized", deductions, lines, len(document["applied_taxes"]))


def pick(documents: list[dict]) -> dict[str, dict]:
    """Per locale, the richest invoice of a customer writing in it (else the richest of all)."""
    richest = max(documents, key=_richness)
    chosen = {}
    for code in SUPPORTED:
        own = [
            doc
            for doc in documents
            if resolve_locale(
                doc["customer"].get("document_locale"), doc["organization"].get("document_locale")
            ).labels
            == code
        ]
        chosen[code] = max(own, key=_richness) if own else richest
    return chosen


def rasterize(pdf: Path, png: Path, dpi: int = 80) -> None:
    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm is missing: apt-get install -y poppler-utils")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(png.with_suffix("")),
        ],
        check=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(PROJECT_ROOT / "docs" / "images"))
    parser.add_argument(
        "--warehouse", help="read invoices from this warehouse instead of the sample"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        warehouse = (
            Path(args.warehouse)
            if args.warehouse
            else create_sample_warehouse(work / "sample.duckdb")
        )
        with duckdb.connect(str(warehouse), read_only=True) as con:
            documents = load_invoice_documents(con)
        logo = None if args.warehouse else LOGO_DATA_URI
        pictures = [(f"invoice-{code}", doc, code) for code, doc in pick(documents).items()]
        drafts = [doc for doc in documents if doc["status"] == "draft"]
        if drafts:
            pictures.append(("invoice-draft-en", max(drafts, key=_richness), "en"))
        for name, document, code in pictures:
            render_one(document, file_stem(document), work, logo, locale_code=code)
            rasterize(work / f"{file_stem(document)}.pdf", out / f"{name}.png")
            print(f"{out / name}.png  {document['number']} ({code})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
