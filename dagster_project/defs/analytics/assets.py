"""The analytics report asset: charts and an HTML report drawn from the analytics marts."""

import dagster as dg

from dagster_project.defs.analytics.report import (
    build_charts,
    detail_tables,
    first_report_month,
    render_html,
    render_markdown,
    summary_table,
)
from dagster_project.defs.analytics.warehouse import ANALYTICS_MARTS, read_analytics
from dagster_project.defs.partitions import run_billing_window
from dagster_project.defs.resources import BillingPaths, Warehouse

REPORT_FILE = "analytics_report.html"


@dg.asset(
    key=["analytics", "report"],
    deps=[dg.AssetKey(["analytics", name]) for name in ANALYTICS_MARTS],
    group_name="analytics",
    kinds={"python", "html"},
    pool="duckdb",
)
def analytics_report(
    context: dg.AssetExecutionContext, paths: BillingPaths, duckdb: Warehouse
) -> dg.MaterializeResult:
    """Draws MRR movements, gross vs net revenue and collections as PNG charts and writes them with
    the analytics tables into one self-contained HTML report (`<output dir>/analytics/`), for the
    12 months up to the run's as_of. The charts also show on this materialization in the UI."""
    as_of = run_billing_window(context).as_of
    with duckdb.get_connection() as con:
        data = read_analytics(con).since(first_report_month(as_of))

    charts = build_charts(data)
    summary = summary_table(data)
    out_dir = paths.output_path / "analytics"
    out_dir.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        (out_dir / chart.file_name).write_bytes(chart.png)
    report_path = out_dir / REPORT_FILE
    html = render_html(as_of, charts, [summary, *detail_tables(data)])
    report_path.write_text(html, encoding="utf-8")
    context.log.info(f"Analytics report as of {as_of:%Y-%m-%d %H:%M} UTC written to {report_path}")

    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.md(render_markdown(as_of, charts, summary, report_path)),
            "report_path": dg.MetadataValue.path(str(report_path)),
            **{
                chart.file_name: dg.MetadataValue.path(str(out_dir / chart.file_name))
                for chart in charts
            },
            "as_of": as_of.strftime("%Y-%m-%d %H:%M:%S"),
            "currencies": ", ".join(row[0] for row in summary.rows) or "none",
        }
    )
