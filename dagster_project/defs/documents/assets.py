"""Invoice documents: every invoice of billing.invoices as HTML and PDF, in the customer's language."""

import dagster as dg

from dagster_project.defs.partitions import run_billing_window
from dagster_project.defs.resources import BillingPaths, Warehouse
from dagster_project.lib.documents.loading import load_credit_note_documents, load_invoice_documents
from dagster_project.lib.documents.publish import DocumentRenderError, publish_documents


class InvoiceDocumentsConfig(dg.Config):
    force: bool = False
    """Render every document again, changed or not (after editing a template, say)."""
    workers: int = 0
    """Rendering processes; 0 = one per CPU."""


@dg.asset(
    key=["documents", "invoices"],
    deps=[
        ["billing", "invoices"],
        ["billing", "fees"],
        ["billing", "invoice_subscriptions"],
        ["billing", "applied_taxes"],
        ["billing", "credits"],
        ["raw", "customers"],
        ["raw", "organization"],
    ],
    # Reads the warehouse: it waits for the writer (dbt) like every other DuckDB step.
    pool="duckdb",
    group_name="documents",
    kinds={"html", "pdf"},
)
def invoice_documents(
    context: dg.AssetExecutionContext,
    config: InvoiceDocumentsConfig,
    paths: BillingPaths,
    duckdb: Warehouse,
) -> dg.MaterializeResult:
    """Renders every invoice of `billing.invoices` (drafts watermarked) and every credit note to
    `{number}.html` and `{number}.pdf` under BILLING_OUTPUT_DIR, in the customer's
    document_locale (else the organization's, else English). Only documents whose content hash
    changed since the last run are rendered (manifest: `.documents-manifest.json` there)."""
    with duckdb.get_connection() as con:
        invoices = load_invoice_documents(con)
        credit_notes = load_credit_note_documents(con, invoices)
    result = publish_documents(
        invoices + credit_notes,
        paths.output_path,
        paths.data_path,
        force=config.force,
        workers=config.workers,
    )
    for warning in result.warnings:
        context.log.warning(warning)
    if result.duplicates:
        context.log.warning(
            f"several documents share a number, files suffixed with their id: {result.duplicates}"
        )
    if result.kept_missing:
        context.log.info(
            f"kept {len(result.kept_missing)} finalized documents no longer in billing.invoices"
        )
    if result.failures:
        raise DocumentRenderError(
            f"{len(result.failures)} of {len(result.failures) + result.rendered} documents could not be "
            "rendered (the others were written):\n" + "\n".join(result.failures[:20])
        )
    return dg.MaterializeResult(
        metadata={
            "output_dir": dg.MetadataValue.path(str(result.output_dir)),
            "documents": len(invoices) + len(credit_notes),
            "invoices": len(invoices),
            "credit_notes": len(credit_notes),
            "rendered": result.rendered,
            "skipped_unchanged": result.skipped,
            "deleted_stale": result.deleted,
            "rendered_by_locale": dg.MetadataValue.json(result.rendered_by_locale),
            "seconds": round(result.seconds, 2),
            "workers": result.workers,
        }
    )
