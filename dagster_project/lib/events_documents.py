"""JSON events: JSON lines and JSON documents, staged and parsed into a temp table.

`stage_documents` reads every `*.jsonl` / `*.ndjson` line and every element of
the `*.json` files into the temp table `DOCUMENTS` (`source_file`,
`source_row`, `document` text, `error_details` when the row is already known to
be `invalid_json`, `raw_payload`), then parses each document once into the temp
table `CANDIDATES`, in the candidate columns of events_sql: one `json_valid`,
one `json_extract` of every field as JSON text, each value's kind read from its
first character. Keeping the parsed rows as a table lets the two inserts (events,
rejects) read plain columns instead of parsing twice.

JSON lines are read as raw text by DuckDB's CSV reader (one VARCHAR column, a
delimiter and quote that valid JSON never holds, strict mode), numbered with
`row_number() over ()` in file order. A file that reader refuses (mixed or
stray carriage returns, invalid UTF-8, a control character, a line over 2 MB) is
read exactly instead: its bytes as escaped text, split on newline bytes, each
line decoded on its own, so one bad line costs only itself.
"""

from __future__ import annotations

import duckdb

from . import events_sql
from .events_files import EventFile, EventFiles

CANDIDATES = "events_landing_candidates"
DOCUMENTS = "events_landing_documents"
_SPLIT = "events_landing_split"
_JSON_FILES = "events_landing_json_files"
# Files read together into memory when unnesting `*.json` documents.
_JSON_BATCH_BYTES = 256 * 1024 * 1024

_CREATE = f"""
create or replace temp table {DOCUMENTS} (
    source_file varchar,
    source_row bigint,
    document varchar,
    error_details varchar,
    raw_payload varchar
)
"""

# Lines are numbered across all the files read together (file after file, in
# order); documents_candidates_sql makes the numbers per file.
_LINES_FROM_CSV = f"""
insert into {DOCUMENTS} (source_file, source_row, document)
select
    substr(filename, $path_cut),
    row_number() over (),
    line
from read_csv(
    $paths,
    columns = {{'line': 'VARCHAR'}},
    header = false,
    auto_detect = false,
    delim = chr(1),
    quote = '',
    escape = '',
    strict_mode = true,
    filename = true
)
"""

# Bytes as text with every non-printable byte escaped (\x0A for a newline), so
# that a file with invalid UTF-8 still splits; each line is decoded on its own.
_SPLIT_EXACT = f"""
create or replace temp table {_SPLIT} as
select string_split(cast(content as varchar), '\\x0A') as escaped_lines
from read_blob($path)
"""

_LINES_FROM_SPLIT = f"""
insert into {DOCUMENTS} (source_file, source_row, document, error_details, raw_payload)
select
    $source_file,
    line_number,
    line,
    case when line is null then 'line is not valid UTF-8' end,
    case when line is null then escaped_line end
from (
    select
        escaped_line,
        line_number,
        try(decode(cast(
            case
                when ends_with(escaped_line, '\\x0D') then left(escaped_line, -4)
                else escaped_line
            end
            as blob
        ))) as line
    from (
        select
            unnest(escaped_lines) as escaped_line,
            unnest(range(1, len(escaped_lines) + 1)) as line_number
        from {_SPLIT}
    ) as split_lines
) as decoded_lines
"""

# A `*.json` file: a list of events, Lago's batch envelope {"events": [...]},
# its single-event body {"event": {...}}, or one event object.
_JSON_FILES_READ = f"""
create or replace temp table {_JSON_FILES} as
with files as (
    select
        filename,
        content,
        try(decode(content)) as decoded
    from read_blob($paths)
),

documents as (
    select
        filename,
        content,
        case
            when starts_with(decoded, chr(65279)) then substr(decoded, 2)
            else decoded
        end as document
    from files
),

documents_typed as (
    select
        *,
        case
            when json_valid(document) then json_type(document, ['$', '$.events', '$.event'])
        end as kinds
    from documents
)

select
    substr(filename, $path_cut) as source_file,
    case
        when document is null then 'file is not valid UTF-8'
        when kinds is null then 'file is not valid JSON'
        when kinds[1] not in ('ARRAY', 'OBJECT')
            then 'file holds ' || {events_sql.kind_name("kinds[1]")} || ', not a list of events'
        when kinds[1] = 'OBJECT' and kinds[2] is not null and kinds[2] <> 'ARRAY'
            then 'events must be a list, got ' || {events_sql.kind_name("kinds[2]")}
    end as error_details,
    case
        when document is null then left(cast(content as varchar), 1000)
        else left(document, 1000)
    end as raw_payload,
    case
        when kinds[1] = 'ARRAY' then cast(json_extract(document, '$[*]') as varchar[])
        when kinds[1] = 'OBJECT' and kinds[2] = 'ARRAY'
            then cast(json_extract(document, '$.events[*]') as varchar[])
        when kinds[1] = 'OBJECT' and kinds[2] is null and kinds[3] = 'OBJECT'
            then [cast(json_extract(document, '$.event') as varchar)]
        when kinds[1] = 'OBJECT' and kinds[2] is null then [document]
    end as elements
from documents_typed
"""

_JSON_FILE_ERRORS = f"""
insert into {DOCUMENTS} (source_file, source_row, error_details, raw_payload)
select source_file, null, error_details, raw_payload
from {_JSON_FILES}
where error_details is not null
"""

_JSON_ELEMENTS = f"""
insert into {DOCUMENTS} (source_file, source_row, document)
select
    source_file,
    unnest(range(1, len(elements) + 1)),
    unnest(elements)
from {_JSON_FILES}
where error_details is null
"""

_PATHS = [
    "$.transaction_id",
    "$.external_subscription_id",
    "$.external_customer_id",
    "$.code",
    "$.timestamp",
    "$.created_at",
    "$.properties",
    "$.precise_total_amount_cents",
]
_FIELDS = [path.removeprefix("$.") for path in _PATHS]
_BLANK = "' ' || chr(9) || chr(10) || chr(13)"
NOT_BLANK = events_sql.NOT_BLANK


def stage_documents(con: duckdb.DuckDBPyConnection, files: EventFiles) -> None:
    """(Re)create the temp table `CANDIDATES` from the JSON lines and JSON files.

    Each document is parsed once, here; the rows are kept as a table so that the
    rules (events_sql) read plain columns.
    """
    con.execute(_CREATE)
    _stage_json_lines(con, files.jsonl, files.path_cut)
    for batch in _batches(files.json):
        params = {"paths": [f.pattern for f in batch], "path_cut": files.path_cut}
        con.execute(_JSON_FILES_READ, params)
        con.execute(_JSON_FILE_ERRORS)
        con.execute(_JSON_ELEMENTS)
    con.execute(f"create or replace temp table {CANDIDATES} as {_parsed_documents_sql()}")
    for table in (_JSON_FILES, _SPLIT, DOCUMENTS):
        con.execute(f"drop table if exists {table}")


def add_file_reject(con: duckdb.DuckDBPyConnection, source_file: str, details: str) -> None:
    """Record a whole file as one `invalid_json` candidate."""
    con.execute(
        f"insert into {CANDIDATES} (source_file, error_details) values ($source_file, $details)",
        {"source_file": source_file, "details": details},
    )


def drop_candidates(con: duckdb.DuckDBPyConnection) -> None:
    for table in (_JSON_FILES, _SPLIT, DOCUMENTS, CANDIDATES):
        con.execute(f"drop table if exists {table}")


def documents_candidates_sql() -> str:
    """The staged JSON events as a candidate relation (see events_sql)."""
    return f"select * from {CANDIDATES}"


def _parsed_documents_sql() -> str:
    """The staged documents parsed into candidate columns.

    One JSON parse to validate, one to extract every field as JSON text; a
    value's kind is read from its first character ('"' string, '{' object...).
    """
    values = ",\n        ".join(
        f"values_json[{i + 1}] as {field}_json" for i, field in enumerate(_FIELDS)
    )
    fields = ",\n    ".join(
        f"{_kind(f'{field}_json')} as {field}_kind,\n    {_text(f'{field}_json')} as {field}_text"
        for field in _FIELDS
    )
    paths = ", ".join(f"'{path}'" for path in _PATHS)
    return f"""
with file_offsets as (
    select source_file, min(source_row) - 1 as row_offset
    from {DOCUMENTS}
    group by source_file
),

documents as (
    select
        {DOCUMENTS}.source_file,
        {DOCUMENTS}.source_row - file_offsets.row_offset as source_row,
        {DOCUMENTS}.error_details,
        coalesce({DOCUMENTS}.raw_payload, {DOCUMENTS}.document) as raw_payload,
        case
            when starts_with({DOCUMENTS}.document, chr(65279)) then substr({DOCUMENTS}.document, 2)
            else {DOCUMENTS}.document
        end as document
    from {DOCUMENTS}
    left join file_offsets on {DOCUMENTS}.source_file = file_offsets.source_file
    where {DOCUMENTS}.error_details is not null or regexp_matches({DOCUMENTS}.document, {NOT_BLANK})
),

documents_validated as (
    select
        *,
        case
            when error_details is null and json_valid(document)
                then left(ltrim(document, {_BLANK}), 1)
        end as first_character
    from documents
),

documents_extracted as (
    select
        *,
        case
            when first_character = '{{' then cast(json_extract(document, [{paths}]) as varchar[])
        end
            as values_json
    from documents_validated
),

fields_extracted as (
    select
        source_file,
        source_row,
        error_details,
        raw_payload,
        {_kind("first_character")} as root_kind,
        {values}
    from documents_extracted
)

select
    source_file,
    source_row,
    error_details,
    raw_payload,
    root_kind,
    {fields},
    cast(null as timestamp) as timestamp_typed,
    cast(null as decimal(18, 6)) as timestamp_epoch,
    cast(null as timestamp) as created_at_typed,
    cast(null as decimal(18, 6)) as created_at_epoch
from fields_extracted
"""


def _kind(json_text: str) -> str:
    """The kind of a JSON value (events_sql vocabulary) from its text's first character."""
    return f"""case
        when {json_text} is null then null
        when left({json_text}, 1) = '"' then 'VARCHAR'
        when left({json_text}, 1) = '{{' then 'OBJECT'
        when left({json_text}, 1) = '[' then 'ARRAY'
        when left({json_text}, 1) in ('t', 'f') then 'BOOLEAN'
        when left({json_text}, 1) = 'n' then 'NULL'
        when regexp_full_match({json_text}, '-?[0-9]+') then 'BIGINT'
        else 'DOUBLE'
    end"""


def _text(json_text: str) -> str:
    """A JSON value as text: strings unquoted (and unescaped), null as NULL, others as written."""
    return f"""case
        when left({json_text}, 1) = '"' and not contains({json_text}, '\\')
            then substr({json_text}, 2, length({json_text}) - 2)
        when left({json_text}, 1) = '"' then json_extract_string({json_text}, '$')
        when {json_text} = 'null' then null
        else {json_text}
    end"""


def _stage_json_lines(
    con: duckdb.DuckDBPyConnection, files: tuple[EventFile, ...], path_cut: int
) -> None:
    if not files:
        return
    try:
        con.execute(_LINES_FROM_CSV, {"paths": [f.pattern for f in files], "path_cut": path_cut})
        return
    except duckdb.Error:
        pass  # some file needs the exact reader: find which, file by file
    for file in files:
        try:
            con.execute(_LINES_FROM_CSV, {"paths": [file.pattern], "path_cut": path_cut})
        except duckdb.Error:
            con.execute(_SPLIT_EXACT, {"path": file.pattern})
            con.execute(_LINES_FROM_SPLIT, {"source_file": file.source_file})


def _batches(files: tuple[EventFile, ...]) -> list[list[EventFile]]:
    batches: list[list[EventFile]] = []
    size = 0
    for file in files:
        if not batches or size + file.size > _JSON_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(file)
        size += file.size
    return batches
