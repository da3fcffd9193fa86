"""The billing catalog: `data/catalog/**` (YAML or JSON, Lago's API shapes) into `raw.*`.

`read_catalog` reads and validates every file and returns the rows of each raw catalog
table, or raises `CatalogError` listing every broken rule (file, object, field) at once.
`write_catalog` replaces the raw catalog tables with those rows in one transaction.
Nothing is written unless the whole catalog is valid. Money and decimals never pass
through a float (CONTRACT §1.1, raw_schema).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib import catalog_customers as customers
from dagster_project.lib import catalog_kinds as kinds
from dagster_project.lib.catalog_files import catalog_paths, read_file
from dagster_project.lib.catalog_issues import CatalogError, CatalogIssue
from dagster_project.lib.catalog_nodes import Node, Sink
from dagster_project.lib.catalog_plans import parse_plan
from dagster_project.lib.catalog_records import IDENTITY, Parsed
from dagster_project.lib.catalog_rules import check_rules
from dagster_project.lib.catalog_values import BadValue, as_str, as_timestamp, show, suggest
from dagster_project.lib.raw_schema import (
    CATALOG_TABLES,
    RAW_TABLES,
    column_names,
    create_table_sql,
)

__all__ = ["Catalog", "CatalogError", "CatalogIssue", "read_catalog", "write_catalog"]

PARSERS: dict[str, Callable[[Node, Parsed], None]] = {
    "taxes": kinds.parse_tax,
    "billable_metrics": kinds.parse_billable_metric,
    "plans": parse_plan,
    "add_ons": kinds.parse_add_on,
    "coupons": kinds.parse_coupon,
    "customers": customers.parse_customer,
    "subscriptions": customers.parse_subscription,
    "applied_coupons": customers.parse_applied_coupon,
    "wallets": customers.parse_wallet,
    "wallet_transactions": customers.parse_wallet_transaction,
    "one_off_invoices": customers.parse_one_off_invoice,
    "credit_notes": customers.parse_credit_note,
    "payment_status_updates": customers.parse_payment_status_update,
    "invoice_voids": customers.parse_invoice_void,
}
# Lago wraps a single object in its singular name ({"plan": {...}}).
SINGULAR = {
    "tax": "taxes",
    "billable_metric": "billable_metrics",
    "plan": "plans",
    "add_on": "add_ons",
    "coupon": "coupons",
    "customer": "customers",
    "subscription": "subscriptions",
    "applied_coupon": "applied_coupons",
    "wallet": "wallets",
    "wallet_transaction": "wallet_transactions",
    "one_off_invoice": "one_off_invoices",
    "credit_note": "credit_notes",
    "payment_status_update": "payment_status_updates",
    "invoice_void": "invoice_voids",
}
IGNORED_TOP_LEVEL = frozenset({"meta"})  # Lago's pagination envelope


@dataclass
class Catalog:
    """Rows for every raw catalog table (exactly its columns, in order) and the warnings
    (unknown keys ignored) met while reading."""

    rows: dict[str, list[dict[str, Any]]]
    warnings: list[str] = field(default_factory=list)


# A catalog is parsed once per content: `billing run` reads it for its default first day
# and again in its catalog asset (the same process), and a nightly run reads the same files
# as the night before (25 to 47 s of YAML at 50k subscriptions, README "Performance").
# The key is a digest of every catalog file's relative path and bytes, of the data
# directory, and of this parser's own source, so an edited file, a new one, a removed one
# or a new version of the parser all parse again. The last read is kept in memory, and
# the last few on disk under $XDG_CACHE_HOME/ratebook/catalog (RATEBOOK_CATALOG_CACHE=0:
# none on disk).
_last_read: tuple[str, Catalog] | None = None
_DISK_CACHE_ENTRIES = 8
_PARSER_FILES = (*sorted(Path(__file__).parent.glob("catalog*.py")), Path(__file__).parent / "raw_schema.py")


@cache
def _parser_version() -> bytes:
    digest = hashlib.sha256()
    for path in _PARSER_FILES:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def _catalog_digest(data_dir: Path) -> str:
    digest = hashlib.sha256(_parser_version())
    digest.update(str(data_dir.resolve()).encode() + b"\0")
    catalog_dir = data_dir / "catalog"
    for path in catalog_paths(catalog_dir):
        content = path.read_bytes()
        digest.update(path.relative_to(catalog_dir).as_posix().encode() + b"\0")
        digest.update(str(len(content)).encode() + b"\0" + content)
    return digest.hexdigest()


def _disk_cache_dir() -> Path | None:
    if os.environ.get("RATEBOOK_CATALOG_CACHE", "1") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ratebook" / "catalog"


def _load_cached(key: str) -> Catalog | None:
    directory = _disk_cache_dir()
    if directory is None:
        return None
    try:
        with (directory / f"{key}.pickle").open("rb") as file:
            catalog = pickle.load(file)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError):
        return None  # absent or unreadable: parse the files
    return catalog if isinstance(catalog, Catalog) else None


def _store_cached(key: str, catalog: Catalog) -> None:
    directory = _disk_cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".{key}.{os.getpid()}.tmp"
        with temporary.open("wb") as file:
            pickle.dump(catalog, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, directory / f"{key}.pickle")
        entries = sorted(directory.glob("*.pickle"), key=lambda path: path.stat().st_mtime_ns)
        for stale in entries[:-_DISK_CACHE_ENTRIES]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written only costs the next run a parse


def read_catalog(data_dir: Path) -> Catalog:
    """Read, merge and validate every catalog file under `data_dir/catalog`.

    Raises `CatalogError` with every issue found when any rule is broken. Files whose bytes
    were read before (by this process, or by a recent run: the disk cache) are not parsed
    again; callers must not modify the result."""
    global _last_read
    data_dir = Path(data_dir)
    key = _catalog_digest(data_dir)
    if _last_read is not None and _last_read[0] == key:
        return _last_read[1]
    catalog = _load_cached(key)
    if catalog is None:
        catalog = _read_catalog_files(data_dir)
        _store_cached(key, catalog)
    _last_read = (key, catalog)
    return catalog


def _read_catalog_files(data_dir: Path) -> Catalog:
    catalog_dir = data_dir / "catalog"
    sink, parsed = Sink(), Parsed()
    notes: list[str] = []
    if not catalog_dir.is_dir():
        notes.append(f"{catalog_dir}: no catalog directory; the catalog is empty")
    organization: Node | None = None
    unreadable = False
    for path in catalog_paths(catalog_dir):
        relative = path.relative_to(data_dir).as_posix()
        document, issues = read_file(path, relative)
        sink.issues.extend(issues)
        if document is None:
            unreadable = True
            continue
        for top_key, content in document.data.items():
            organization = _read_kind(sink, parsed, relative, str(top_key), content, organization)
    if not unreadable:  # with a file missing, every reference into it would be reported too
        check_rules(parsed, sink)
    if sink.issues:
        raise CatalogError(sorted(sink.issues, key=lambda issue: issue.file))
    if organization is None:
        kinds.parse_organization(Node(sink, None, "organization", "", "", {}), parsed)
    rows = {table: [record.row for record in parsed.records[table]] for table in CATALOG_TABLES}
    return Catalog(rows=rows, warnings=notes + sink.warnings())


def _read_kind(
    sink: Sink, parsed: Parsed, file: str, top_key: str, content: Any, organization: Node | None
) -> Node | None:
    """Read one top-level key of a file; returns the organization node once one is read."""
    if (
        top_key in IGNORED_TOP_LEVEL
        or content is None
        or (isinstance(content, list | dict) and not content)
    ):
        return organization
    if top_key == "organization":
        if not isinstance(content, dict):
            sink.issues.append(
                CatalogIssue(
                    file, "organization", "", "", f"expected a mapping, got {show(content)}"
                )
            )
            return organization
        node = Node(sink, file, "organization", "", "", content)
        if organization is not None:
            sink.issues.append(
                CatalogIssue(
                    file,
                    "organization",
                    "",
                    "",
                    f"defined more than once (also in {organization.file})",
                )
            )
            return organization
        kinds.parse_organization(node, parsed)
        return node
    kind = SINGULAR.get(top_key, top_key)
    if kind not in PARSERS:
        close = suggest(top_key, [*PARSERS, "organization"])
        hint = f"; did you mean '{close}'?" if close else ""
        sink.warn(file, "", top_key, f"{file}: unknown object kind '{top_key}' ignored{hint}")
        return organization
    if kind != top_key and isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        sink.issues.append(
            CatalogIssue(file, kind, "", "", f"expected a list of {kind}, got {show(content)}")
        )
        return organization
    for position, item in enumerate(content):
        if not isinstance(item, dict):
            sink.issues.append(
                CatalogIssue(file, kind, str(position), "", f"expected a mapping, got {show(item)}")
            )
            continue
        node = Node(sink, file, kind, _identity_label(kind, item, position), "", item)
        PARSERS[kind](node, parsed)
    return organization


def _identity_label(kind: str, item: dict, position: int) -> str:
    """`code=starter`, or the list position when an identity field is missing."""
    parts = []
    for name in IDENTITY[kind]:
        value = item.get(name)
        if value is None and kind == "subscriptions" and name == "created_at":
            value = item.get("subscription_at")  # created_at defaults to the start
        if value is None:
            return str(position)
        try:
            text = as_timestamp(value).isoformat() if name == "created_at" else as_str(value)
        except BadValue:
            text = show(value)
        parts.append(f"{name}={text}")
    return ",".join(parts)


def write_catalog(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> dict[str, int]:
    """Replace every `raw` catalog table with the catalog's rows, in one transaction.
    Each table is recreated (a snapshot of the files), so a warehouse written by an older
    version gets the columns this one reads. Values travel as parameters (text cast to each
    column's exact type); returns row counts."""
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists raw")
        for table in CATALOG_TABLES:
            con.execute(f"drop table if exists raw.{table}")
            con.execute(create_table_sql(table))
            rows = catalog.rows.get(table, [])
            if rows:
                _insert(con, table, rows)
            counts[table] = len(rows)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """One set-based insert: each column is a list parameter of text, unnested side by side
    and cast to the column type (DECIMAL stays exact, unlike a float round trip)."""
    columns = column_names(table)
    names = ", ".join(f'"{name}"' for name in columns)
    selects = ", ".join(f"unnest(?::varchar[])::{sql_type}" for _, sql_type in RAW_TABLES[table])
    parameters = [[_as_text(row[name]) for row in rows] for name in columns]
    con.execute(f"insert into raw.{table} ({names}) select {selects}", parameters)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
