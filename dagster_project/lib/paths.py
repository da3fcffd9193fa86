"""Where the data directory, warehouse and documents live."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

DEFAULT_DATA_DIR = "data"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_OUTPUT_DIR = "data/invoices"


def resolve(path: str | Path) -> Path:
    """An absolute path; a relative one is taken from the project root (as in `.env`)."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (PROJECT_ROOT / candidate).resolve()
