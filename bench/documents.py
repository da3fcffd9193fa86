"""Benchmark invoice documents: render N invoices to HTML and PDF, print a table.

    .venv/bin/python bench/documents.py [--invoices 1000] [--workers 0]

Builds a synthetic warehouse (lib/documents/sample.py: ten customers in every
shipped locale and six currencies, 2-5 fee lines, coupons, taxes, credits,
drafts), then times what the Dagster asset does: load every invoice with one
query per table, render every document (first run), and run again with
nothing changed (every document skipped by its content hash).

Measured 2026-11-21 on the 2-CPU development VM, shared with other sessions
(load average 5-9), 1,000 invoices:

    step                                     documents  seconds   docs/s
    load (one query per table)                    1000     0.39   2558.6
    render HTML + PDF (2 processes)               1000   235.53      4.2
    rerun, nothing changed (skipped)              1000     0.14   7225.6
    CPU time of the render: 107.3 s (107 ms a document)

WeasyPrint is CPU-bound at about 85-90 ms a one-page invoice here (layout and
painting; Jinja and Babel take 2 ms), so the render takes CPU time / cores:
about 55 s on two idle cores, 27 s on four, 14 s on eight. A rerun with
nothing changed takes a fraction of a second.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dagster_project.lib.documents.loading import load_invoice_documents
from dagster_project.lib.documents.publish import publish_documents
from dagster_project.lib.documents.sample import create_sample_warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument(
        "--workers", type=int, default=0, help="rendering processes (0: one per CPU)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-documents-") as scratch:
        root = Path(scratch)
        warehouse = create_sample_warehouse(root / "warehouse.duckdb", invoices=args.invoices)
        rows = []

        started = time.perf_counter()
        with duckdb.connect(str(warehouse), read_only=True) as con:
            documents = load_invoice_documents(con)
        rows.append(("load (one query per table)", len(documents), time.perf_counter() - started))

        cpu_before = os.times()
        first = publish_documents(documents, root / "invoices", root, workers=args.workers)
        cpu_after = os.times()
        assert not first.failures, first.failures[:3]
        rows.append(
            (f"render HTML + PDF ({first.workers} processes)", first.rendered, first.seconds)
        )

        second = publish_documents(documents, root / "invoices", root, workers=args.workers)
        rows.append(("rerun, nothing changed (skipped)", second.skipped, second.seconds))

        pdf_bytes = sum(path.stat().st_size for path in (root / "invoices").glob("*.pdf"))
        cpu = (
            cpu_after.children_user + cpu_after.children_system + cpu_after.user + cpu_after.system
        ) - (
            cpu_before.children_user
            + cpu_before.children_system
            + cpu_before.user
            + cpu_before.system
        )

    print(
        f"\nInvoice documents, {args.invoices} invoices, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"  {'step':<40} {'documents':>9} {'seconds':>8} {'docs/s':>8}")
    for step, count, seconds in rows:
        print(f"  {step:<40} {count:>9} {seconds:>8.2f} {count / seconds if seconds else 0:>8.1f}")
    print(
        f"  CPU time of the render: {cpu:.1f} s ({cpu / max(first.rendered, 1) * 1000:.0f} ms a document)"
    )
    print(f"  PDF size: {pdf_bytes / max(first.rendered, 1) / 1024:.0f} KiB a document on average")
    print(f"  by locale: {first.rendered_by_locale}\n")


if __name__ == "__main__":
    main()
