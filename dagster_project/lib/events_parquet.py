"""Parquet events: typed columns shaped as a candidate relation for `events_sql`.

Files are grouped so that one `read_parquet(..., union_by_name = true)` reads
each group: consecutive files (in path order) whose shared columns have the same
types. Usually that is one group for the whole directory; a column that changes
type between files (say `timestamp` BIGINT here and VARCHAR there) starts a new
group instead of failing the read. Hive folder names (`date=2024-03-01/`) are not
read as columns. A file whose footer cannot be read becomes one `invalid_json`
reject. Row numbers come from the reader's `file_row_number`; a file that has a
column of that name itself is read on its own and numbered with
`row_number() over ()` (file order is kept).

Each event field is mapped from the group's DuckDB type (DESCRIBE) to the
candidate columns: text stays text, numbers are numbers, TIMESTAMP is used as
is, TIMESTAMPTZ is taken at UTC, STRUCT and MAP properties become JSON objects
(`to_json`), text properties must hold a JSON object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import duckdb

from .events_files import EventFile
from .events_sql import FIELDS, MAX_EPOCH_SECONDS

# The file name column gets a name no event file is likely to use.
_FILENAME = "events_landing_filename"
_READ_OPTIONS = f"union_by_name = true, hive_partitioning = false, filename = '{_FILENAME}'"
_SCHEMA = """
select file_name, name, duckdb_type, coalesce(num_children, 0)
from parquet_schema($paths)
order by file_name, column_id
"""
_INTEGERS = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
_TIMESTAMPS = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"}


@dataclass(frozen=True)
class ParquetGroup:
    files: tuple[EventFile, ...]
    columns: dict[str, str]  # lower-case column name -> DuckDB type, from DESCRIBE

    @property
    def has_row_numbers(self) -> bool:
        """Whether the reader can add `file_row_number` (no column of that name)."""
        return "file_row_number" not in self.columns

    @property
    def patterns(self) -> list[str]:
        return [f.pattern for f in self.files]


def plan_parquet_groups(
    con: duckdb.DuckDBPyConnection, files: tuple[EventFile, ...]
) -> tuple[list[ParquetGroup], list[tuple[EventFile, str]]]:
    """Groups of files read together, and the files that cannot be read (with why)."""
    if not files:
        return [], []
    readable, unreadable = _top_level_columns(con, files)
    runs: list[list[EventFile]] = []
    merged: dict[str, str] = {}
    for file in files:
        if file not in readable:
            continue
        columns = readable[file]
        conflicts = any(merged.get(name, kind) != kind for name, kind in columns.items())
        alone = "file_row_number" in columns or "file_row_number" in merged
        if not runs or conflicts or alone:
            runs.append([])
            merged = {}
        runs[-1].append(file)
        merged.update(columns)
    groups = [ParquetGroup(tuple(run), _describe(con, run)) for run in runs]
    return groups, unreadable


# Per file, from the footers only: the range of a top-level `timestamp` column stored as a
# Parquet timestamp (INT64 with a timestamp type, so its statistics read as instants), when
# every row group has statistics and no null.
_TIMESTAMP_RANGES = """
select
    file_name,
    min(try_cast(stats_min_value as timestamp)) as first_at,
    max(try_cast(stats_max_value as timestamp)) as last_at
from parquet_metadata($paths)
where path_in_schema = 'timestamp' and type = 'INT64'
group by file_name
having
    count(*) = count(try_cast(stats_min_value as timestamp))
    and count(*) = count(try_cast(stats_max_value as timestamp))
    and count(*) = count(*) filter (where stats_null_count = 0)
"""


def files_outside_window(
    con: duckdb.DuckDBPyConnection, files: tuple[EventFile, ...], start: date, end: date
) -> set[EventFile]:
    """The files whose footer statistics prove that every event's `timestamp` lies outside
    the UTC dates [start, end): a landing of those days need not read them (a nightly run
    would otherwise read every file of the history). A file without such statistics, with
    a null timestamp (an undated reject, replaced on every landing) or with a timestamp of
    another type is always read; so is every file when a footer cannot be read."""
    if not files:
        return set()
    by_path = {str(file.path): file for file in files}
    try:
        ranges = con.execute(_TIMESTAMP_RANGES, {"paths": [f.pattern for f in files]}).fetchall()
    except duckdb.Error:
        return set()
    first_instant = datetime.combine(start, time())
    end_instant = datetime.combine(end, time())
    return {
        by_path[name]
        for name, first_at, last_at in ranges
        if name in by_path and (last_at < first_instant or first_at >= end_instant)
    }


def parquet_candidates_sql(group: ParquetGroup, paths_param: str) -> str:
    """One group's rows as a candidate relation (see events_sql).

    Parameters: `$<paths_param>` (group.patterns) and `$path_cut`."""
    row_number = "file_row_number + 1" if group.has_row_numbers else "events_landing_row"
    selected = [
        f"substr({_FILENAME}, $path_cut) as source_file",
        f"{row_number} as source_row",
        "cast(null as varchar) as error_details",
        "cast(null as varchar) as raw_payload",  # built from the fields, for rejects only
        "'OBJECT' as root_kind",
    ]
    for field in FIELDS:
        kind, text, typed, epoch = _field_sql(field, group.columns.get(field))
        selected += [f"{kind} as {field}_kind", f"{text} as {field}_text"]
        if field in ("timestamp", "created_at"):
            selected += [f"{typed} as {field}_typed", f"{epoch} as {field}_epoch"]
    columns = ",\n    ".join(selected)
    if group.has_row_numbers:
        source = f"read_parquet(${paths_param}, {_READ_OPTIONS}, file_row_number = true)"
    else:  # one file (see plan_parquet_groups)
        source = f"""(
    select *, row_number() over () as events_landing_row
    from read_parquet(${paths_param}, {_READ_OPTIONS})
)"""
    return f"""
select
    {columns}
from {source}
"""


def _field_sql(field: str, duckdb_type: str | None) -> tuple[str, str, str, str]:
    """(kind, text, typed timestamp, epoch seconds) SQL for one event field."""
    column = f'"{field}"'
    none = (
        "cast(null as varchar)",
        "cast(null as varchar)",
        "cast(null as timestamp)",
        "cast(null as decimal(18, 6))",
    )
    if duckdb_type is None:
        return none
    base = duckdb_type.upper().split("(")[0]
    as_text = f"cast({column} as varchar)"
    typed, epoch = none[2], none[3]
    if base == "VARCHAR":
        kind, text = ("JSON_TEXT" if field == "properties" else "VARCHAR"), column
    elif base == "JSON":
        kind, text = ("JSON_TEXT" if field == "properties" else "VARCHAR"), as_text
    elif base == "UUID":
        kind, text = "VARCHAR", as_text
    elif base == "BLOB":
        decoded = f"try(decode({column}))"
        kind_sql = f"case when {column} is null then 'NULL' when {decoded} is null then 'BLOB' "
        kind_sql += "else '" + ("JSON_TEXT" if field == "properties" else "VARCHAR") + "' end"
        return kind_sql, decoded, typed, epoch
    elif base in _INTEGERS:
        kind, text = "NUMBER", as_text
        typed = (
            f"case when {column} >= 0 and {column} < {MAX_EPOCH_SECONDS} "
            f"then make_timestamp(cast({column} as bigint) * 1000000) end"
        )
    elif base in ("DECIMAL", "FLOAT", "DOUBLE"):
        kind, text = "NUMBER", as_text
        epoch = f"try_cast({column} as decimal(18, 6))"
    elif base in _TIMESTAMPS:
        kind, text = "TIMESTAMP", as_text
        typed = f"cast({column} as timestamp)"
    elif base == "TIMESTAMP WITH TIME ZONE":
        kind, text = "TIMESTAMP", as_text
        typed = f"make_timestamp(epoch_us({column}))"
    elif base in ("STRUCT", "MAP"):
        kind, text = "OBJECT", f"cast(to_json({column}) as varchar)"
    elif duckdb_type.endswith("]"):
        kind, text = "ARRAY", f"cast(to_json({column}) as varchar)"
    else:
        kind, text = base, as_text
    return f"case when {column} is null then 'NULL' else '{kind}' end", text, typed, epoch


def _describe(con: duckdb.DuckDBPyConnection, files: list[EventFile]) -> dict[str, str]:
    rows = con.execute(
        f"describe select * from read_parquet($paths, {_READ_OPTIONS})",
        {"paths": [f.pattern for f in files]},
    ).fetchall()
    return {name.lower(): duckdb_type for name, duckdb_type, *_ in rows}


def _top_level_columns(
    con: duckdb.DuckDBPyConnection, files: tuple[EventFile, ...]
) -> tuple[dict[EventFile, dict[str, str]], list[tuple[EventFile, str]]]:
    try:
        return _schemas(con, files), []
    except duckdb.Error:
        pass  # some footer is unreadable: find which, file by file
    readable: dict[EventFile, dict[str, str]] = {}
    unreadable: list[tuple[EventFile, str]] = []
    for file in files:
        try:
            readable.update(_schemas(con, (file,)))
        except duckdb.Error as error:
            lines = str(error).strip().splitlines() or [type(error).__name__]
            unreadable.append((file, f"not a readable Parquet file: {lines[0]}"))
    return readable, unreadable


def _schemas(
    con: duckdb.DuckDBPyConnection, files: tuple[EventFile, ...]
) -> dict[EventFile, dict[str, str]]:
    rows = con.execute(_SCHEMA, {"paths": [f.pattern for f in files]}).fetchall()
    by_path = {str(f.path): f for f in files}
    elements: dict[EventFile, list[tuple[str, str, int]]] = {}
    for file_name, name, duckdb_type, children in rows:
        elements.setdefault(by_path[file_name], []).append((name, duckdb_type, children))
    return {file: _children_of_root(tree) for file, tree in elements.items()}


def _children_of_root(elements: list[tuple[str, str, int]]) -> dict[str, str]:
    """Top-level columns from Parquet's flattened (pre-order) schema tree."""
    columns: dict[str, str] = {}

    def subtree_end(index: int) -> int:
        end = index + 1
        for _ in range(elements[index][2]):
            end = subtree_end(end)
        return end

    index = 1  # element 0 is the root
    while index < len(elements):
        name, duckdb_type, _ = elements[index]
        columns[name.lower()] = duckdb_type
        index = subtree_end(index)
    return columns
