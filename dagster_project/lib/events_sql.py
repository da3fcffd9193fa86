"""The SQL that turns candidate events into `raw.events` rows or `raw.event_rejects` rows.

Every source (JSON lines and documents, Parquet files) is first shaped as a
*candidate relation* with, per event field `f` of Lago's event:

- `f_kind`: how the value arrived: null when the field is absent, `'NULL'`,
  `'VARCHAR'`, a number (`'BIGINT'` for an integer or `'DOUBLE'` from JSON,
  `'NUMBER'` from typed Parquet), `'OBJECT'`, `'ARRAY'`, `'BOOLEAN'`,
  `'TIMESTAMP'` (typed Parquet), `'JSON_TEXT'` (Parquet text holding JSON), or
  another type name;
- `f_text`: the value as text (JSON text for objects);

plus `timestamp_typed` / `created_at_typed` (TIMESTAMP, typed Parquet) and
`timestamp_epoch` / `created_at_epoch` (DECIMAL seconds, numeric Parquet), and
`source_file`, `source_row`, `error_details` (an `invalid_json` reason already
known when reading), `raw_payload` and `root_kind` (`'OBJECT'` for an event).

`checked_events_sql` applies Lago's event rules once, for every source alike,
and classifies each candidate: `error_code` null (an event) or one of
`invalid_json`, `missing_field`, `invalid_timestamp`. Ingestion decides nothing
else: dedup and catalog checks are dbt's.
"""

from __future__ import annotations

from .raw_schema import column_names

FIELDS = (
    "transaction_id",
    "external_subscription_id",
    "external_customer_id",
    "code",
    "timestamp",
    "created_at",
    "properties",
    "precise_total_amount_cents",
)
REQUIRED_TEXT_FIELDS = ("transaction_id", "external_subscription_id", "code")
TIME_FIELDS = ("timestamp", "created_at")

NUMBER_KINDS = "('UBIGINT', 'BIGINT', 'DOUBLE', 'NUMBER')"
# Decimal text, optionally signed, with an exponent, and spaces around.
NUMERIC_TEXT = r"'\s*[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?\s*'"
# Any character but whitespace. (regexp_matches against it is how this module
# tests for blank text: DuckDB's trim() costs several times more.)
NOT_BLANK = r"'[^ \t\r\n]'"
EMPTY_OBJECT = "'{}'"
# Unix seconds accepted: 1970-01-01 up to the end of year 9999; a value in
# milliseconds or microseconds by mistake falls outside and is rejected.
MAX_EPOCH_SECONDS = 253402300800
PAYLOAD_CHARS = 1000

WINDOW = (
    "(cast($window_start as date) is null or event_date >= cast($window_start as date))"
    " and (cast($window_end as date) is null or event_date < cast($window_end as date))"
)


def kind_name(kind: str) -> str:
    """A kind in JSON's words, for error details."""
    return f"""case {kind}
                when 'VARCHAR' then 'a string'
                when 'OBJECT' then 'an object'
                when 'ARRAY' then 'an array'
                when 'BOOLEAN' then 'a boolean'
                when 'NULL' then 'null'
                when 'TIMESTAMP' then 'a timestamp'
                else case when {kind} in {NUMBER_KINDS} then 'a number' else lower({kind}) end
            end"""


def _shown(field: str) -> str:
    """A field's value for error details: quoted text, else the value, else its kind."""
    return f"""case
                when {field}_kind in ('VARCHAR', 'JSON_TEXT')
                    then '"' || left({field}_text, 100) || '"'
                else coalesce(left({field}_text, 100), {kind_name(f"{field}_kind")})
            end"""


def _is_scalar(field: str) -> str:
    return f"({field}_kind = 'VARCHAR' or {field}_kind in {NUMBER_KINDS})"


def _sent_text(field: str) -> str:
    return f"case when {_is_scalar(field)} then {field}_text end"


def _missing_reason(field: str) -> str:
    return f"""case
            when {field}_kind is null then '{field} is missing'
            when {field}_kind = 'NULL' then '{field} is null'
            when not {_is_scalar(field)}
                then '{field} must be a string, got ' || {kind_name(f"{field}_kind")}
            when not regexp_matches({field}_text, {NOT_BLANK}) then '{field} is empty'
        end"""


def _is_whole_seconds(field: str) -> str:
    # JSON integers: exact and fast in BIGINT; 12 digits reach past year 9999.
    return f"({field}_kind in ('UBIGINT', 'BIGINT') and length({field}_text) <= 12)"


def _epoch_seconds(field: str) -> str:
    """Fractional (or numeric-text) Unix seconds, as DECIMAL: never through a float."""
    return f"""case
            when {field}_typed is not null or {_is_whole_seconds(field)} then null
            when {field}_epoch is not null then {field}_epoch
            when {field}_kind in {NUMBER_KINDS} then try_cast({field}_text as decimal(18, 6))
            when {field}_kind = 'VARCHAR' and regexp_full_match({field}_text, {NUMERIC_TEXT})
                then try_cast({field}_text as decimal(18, 6))
        end"""


def _parsed_timestamp(field: str) -> str:
    # ISO-8601 text goes through TIMESTAMPTZ so that `Z` and offsets are applied;
    # the caller runs this with the session TimeZone set to UTC, so naive text is UTC.
    seconds = f"{field}_seconds"
    whole = f"cast({field}_text as bigint)"
    return f"""case
            when {field}_typed is not null then {field}_typed
            when {_is_whole_seconds(field)} then
                case
                    when {whole} >= 0 and {whole} < {MAX_EPOCH_SECONDS}
                        then make_timestamp({whole} * 1000000)
                end
            when {seconds} is not null then
                case
                    when {seconds} >= 0 and {seconds} < {MAX_EPOCH_SECONDS} then make_timestamp(
                        cast(floor({seconds}) as bigint) * 1000000
                        + cast(({seconds} - floor({seconds})) * 1000000 as bigint)
                    )
                end
            when {field}_kind = 'VARCHAR'
                then make_timestamp(epoch_us(try_cast({field}_text as timestamptz)))
        end"""


def _timestamp_reason(field: str) -> str:
    return f"""case
            when {field}_kind is null then '{field} is missing'
            when {field}_kind = 'NULL' then '{field} is null'
            else '{field} ' || {_shown(field)}
                || ' is neither Unix seconds (years 1970 to 9999) nor an ISO-8601 timestamp'
        end"""


def checked_events_sql(candidates_sql: str) -> str:
    """Every candidate with its parsed columns, `error_code` and `error_details`."""
    carried = ",\n        ".join(
        [f"{field}_kind, {field}_text" for field in FIELDS]
        + [f"{field}_typed, {field}_epoch" for field in TIME_FIELDS]
    )
    sent = ",\n        ".join(
        f"{_sent_text(field)} as {field}_sent"
        for field in (*REQUIRED_TEXT_FIELDS, "external_customer_id")
    )
    seconds = ",\n        ".join(
        f"{_epoch_seconds(field)} as {field}_seconds" for field in TIME_FIELDS
    )
    parsed = ",\n        ".join(
        f"{_parsed_timestamp(field)} as {field}_parsed" for field in TIME_FIELDS
    )
    missing = ",\n            ".join(_missing_reason(field) for field in REQUIRED_TEXT_FIELDS)
    return f"""
with candidates as (
    {candidates_sql}
),

fields_read as (
    select
        source_file,
        source_row,
        error_details as read_error,
        raw_payload,
        root_kind,
        {carried},
        {sent},
        {seconds},
        case
            when properties_kind is null or properties_kind = 'NULL' then {EMPTY_OBJECT}
            when properties_kind = 'OBJECT' then properties_text
            when properties_kind = 'JSON_TEXT' and not regexp_matches(properties_text, {NOT_BLANK})
                then {EMPTY_OBJECT}
            when properties_kind = 'JSON_TEXT' and json_valid(properties_text)
                and json_type(properties_text) = 'OBJECT' then properties_text
        end as properties,
        -- the decimal text as sent, never through a float of ours
        case
            when precise_total_amount_cents_kind in {NUMBER_KINDS}
                then precise_total_amount_cents_text
            when precise_total_amount_cents_kind = 'VARCHAR'
                and regexp_full_match(precise_total_amount_cents_text, {NUMERIC_TEXT})
                then trim(precise_total_amount_cents_text)
        end as precise_total_amount_cents
    from candidates
),

timestamps_parsed as (
    select
        *,
        {parsed}
    from fields_read
),

events_checked as (
    select
        *,
        case when isfinite(timestamp_parsed) then timestamp_parsed end as event_timestamp,
        case when isfinite(created_at_parsed) then created_at_parsed end as created_timestamp,
        not (
            created_at_kind is null
            or created_at_kind = 'NULL'
            or (created_at_kind = 'VARCHAR' and not regexp_matches(created_at_text, {NOT_BLANK}))
        ) as has_created_at,
        concat_ws(
            '; ',
            {missing}
        ) as missing_fields
    from timestamps_parsed
),

events_classified as (
    select
        *,
        cast(event_timestamp as date) as event_date,
        case
            when read_error is not null or root_kind is distinct from 'OBJECT' or properties is null
                then 'invalid_json'
            when missing_fields <> '' then 'missing_field'
            when event_timestamp is null or (has_created_at and created_timestamp is null)
                then 'invalid_timestamp'
        end as error_code,
        case
            when read_error is not null then read_error
            when root_kind is null then 'not valid JSON'
            when root_kind <> 'OBJECT'
                then 'expected a JSON object, got ' || {kind_name("root_kind")}
            when properties is null
                then 'properties must be a JSON object, got ' || {_shown("properties")}
            when missing_fields <> '' then missing_fields
            when event_timestamp is null then {_timestamp_reason("timestamp")}
            when has_created_at and created_timestamp is null then {_timestamp_reason("created_at")}
        end as error_details
    from events_checked
)

select * from events_classified
"""


def insert_events_sql(candidates_sql: str) -> str:
    columns = ", ".join(f'"{name}"' for name in column_names("events"))
    return f"""
insert into raw.events ({columns})
select
    event_date,
    transaction_id_sent,  -- required: an event has none blank (missing_field otherwise)
    external_subscription_id_sent,
    case
        when regexp_matches(external_customer_id_sent, {NOT_BLANK}) then external_customer_id_sent
    end,
    code_sent,
    event_timestamp,
    properties,
    precise_total_amount_cents,
    case when has_created_at then created_timestamp else event_timestamp end,
    source_file,
    source_row
from ({checked_events_sql(candidates_sql)}) as checked
where error_code is null and {WINDOW}
"""


def insert_rejects_sql(candidates_sql: str) -> str:
    columns = ", ".join(f'"{name}"' for name in column_names("event_rejects"))
    return f"""
insert into raw.event_rejects ({columns})
select
    event_date,
    transaction_id_sent,
    external_subscription_id_sent,
    code_sent,
    error_code,
    error_details,
    source_file,
    source_row,
    left(coalesce(raw_payload, {_payload_from_fields()}), {PAYLOAD_CHARS})
from ({checked_events_sql(candidates_sql)}) as checked
where error_code is not null and (event_date is null or {WINDOW})
"""


def _payload_from_fields() -> str:
    """The event as JSON from its fields (typed sources, which have no text of their own)."""
    pairs = ", ".join(
        f"'{field}', case when {field}_kind in ('OBJECT', 'ARRAY') then json({field}_text) "
        f"else to_json({field}_text) end"
        for field in FIELDS
    )
    return f"cast(json_object({pairs}) as varchar)"


def earliest_date_sql(candidates_sql: str) -> str:
    return f"select min(event_date) from ({checked_events_sql(candidates_sql)}) as checked"
