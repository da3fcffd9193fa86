"""The readers' copy of the warehouse: published whole, atomically, after a successful run.

DuckDB lets one process write a database file and no other process open it meanwhile, so
analysts never query the working warehouse. At the end of each successful run the
`billing`, `analytics` and `payments` schemas are copied into a new file beside the
published one, which then replaces it with one `os.replace` (an atomic rename on POSIX):
a reader opens either the old file or the new one, never a half-written one, and a reader
that already has the old one open keeps reading it until it reconnects. A run killed
before the rename leaves the published file as it was; the orphaned temporary file is
removed by the next publish.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("billing", "analytics", "payments")
TEMP_SUFFIX = ".publishing"


def published_path_for(warehouse: Path) -> Path:
    """The default readers' copy: `warehouse.duckdb` -> `warehouse_published.duckdb`."""
    return warehouse.with_name(f"{warehouse.stem}_published{warehouse.suffix or '.duckdb'}")


@dataclass
class PublishResult:
    path: Path
    rows_by_table: dict[str, int] = field(default_factory=dict)
    missing_schemas: list[str] = field(default_factory=list)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish(con: duckdb.DuckDBPyConnection, target: Path, schemas=PUBLISHED_SCHEMAS) -> PublishResult:
    """Copies every table and view of `schemas` from the working warehouse `con` into a new
    DuckDB file and atomically moves it to `target`. Views become tables (the copy stands
    alone: its readers need no raw data). Table and column comments are kept."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + TEMP_SUFFIX)
    for leftover in (temp, temp.with_name(temp.name + ".wal")):
        leftover.unlink(missing_ok=True)

    result = PublishResult(target)
    relations = con.execute(
        """
        select table_schema, table_name, table_type
        from information_schema.tables
        where table_catalog = current_database() and table_schema in (select unnest(?))
        order by table_schema, table_name
        """,
        [list(schemas)],
    ).fetchall()
    present = {schema for schema, _, _ in relations}
    result.missing_schemas = [schema for schema in schemas if schema not in present]

    source = con.execute("select current_database()").fetchone()[0]
    con.execute(f"attach {_sql_string(str(temp))} as published_copy")
    try:
        for schema in schemas:
            con.execute(f"create schema if not exists published_copy.{_quote(schema)}")
        for schema, name, _ in relations:
            qualified = f"{_quote(schema)}.{_quote(name)}"
            con.execute(
                f"create table published_copy.{qualified} as "
                f"select * from {_quote(source)}.{qualified}"
            )
            result.rows_by_table[f"{schema}.{name}"] = con.execute(
                f"select count(*) from published_copy.{qualified}"
            ).fetchone()[0]
        _copy_comments(con, source, [(schema, name) for schema, name, _ in relations])
        con.execute("checkpoint published_copy")
    finally:
        con.execute("detach published_copy")
    os.replace(temp, target)
    return result


def _copy_comments(con: duckdb.DuckDBPyConnection, source: str, relations: list[tuple[str, str]]) -> None:
    wanted = set(relations)
    for schema, name, comment in con.execute(
        "select schema_name, table_name, comment from duckdb_tables() "
        "where database_name = ? and comment is not null "
        "union all select schema_name, view_name, comment from duckdb_views() "
        "where database_name = ? and comment is not null",
        [source, source],
    ).fetchall():
        if (schema, name) in wanted:
            con.execute(
                f"comment on table published_copy.{_quote(schema)}.{_quote(name)} is {_sql_string(comment)}"
            )
    for schema, name, column, comment in con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = ? and comment is not null",
        [source],
    ).fetchall():
        if (schema, name) in wanted:
            con.execute(
                f"comment on column published_copy.{_quote(schema)}.{_quote(name)}.{_quote(column)} "
                f"is {_sql_string(comment)}"
            )


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
