{#- int_event_days_summarized, incremental: the dates it hashes again.

    A date is hashed again when its row here is missing, its number of events in
    raw.events changed, raw.event_landings has no row for it (raw.events written by
    something other than the landing: hashed on every run) or a landing id other than
    the one it was hashed with (landed again). A date gone from raw.events loses its
    row. Counting the events per date reads one column; hashing them reads them all.
    Something that rewrote a landed date's events outside the landing, with as many
    events, would go unseen: the landing is raw.events' only writer. -#}

{% macro event_landings_sql() -%}
    {%- set landings = load_relation(source('raw', 'event_landings')) if execute else none -%}
    {%- if landings is not none -%}
        select event_date, landing_id from {{ landings }}
    {%- else -%}
        select cast(null as date) as event_date, cast(null as varchar) as landing_id where false
    {%- endif -%}
{%- endmacro %}


{#- The dates a query selects (its one column, a date), as 'YYYY-MM-DD' strings, nulls
    left out. Each goes through text with a prefix, which keeps agate from reading it back
    as a date or a datetime. -#}
{% macro query_dates(select_sql) -%}
    {%- set dates = run_query(
        "select distinct 'day ' || strftime(picked_date, '%Y-%m-%d') from ("
        ~ select_sql ~ ") as picked(picked_date) where picked_date is not null order by 1"
    ) -%}
    {{ return(dates.columns[0].values() | map('replace', 'day ', '') | list) }}
{%- endmacro %}


{#- The dates of `query_dates` as a SQL list of date literals (null when none, which no
    `in` matches): constants, which DuckDB's scans filter on. -#}
{% macro date_list_sql(dates) -%}
    {%- if dates -%}
        {%- for day in dates %}date '{{ day }}'{{ ', ' if not loop.last }}{% endfor -%}
    {%- else -%}
        null
    {%- endif -%}
{%- endmacro %}


{#- The dates to hash again, as 'YYYY-MM-DD' strings (none: a build, every date). Asked
    by the model and by its pre-hook, before either writes: both get the same list. -#}
{% macro event_days_to_summarize() -%}
    {%- if not execute or not is_incremental() -%}{{ return(none) }}{%- endif -%}
    {#- a table built before the landing ids were kept: every date is hashed again -#}
    {%- set kept_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- set kept_landing = 'landing_id' if 'landing_id' in kept_columns else 'cast(null as varchar)' -%}
    {{ return(query_dates(
        "with counted as (select event_date, count(*) as event_count from "
        ~ source('raw', 'events') ~ " group by event_date),"
        ~ " landings as (" ~ event_landings_sql() ~ "),"
        ~ " kept as (select event_date, event_count, " ~ kept_landing ~ " as landing_id from "
        ~ this ~ ")"
        ~ " select coalesce(counted.event_date, kept.event_date)"
        ~ " from counted"
        ~ " full outer join kept on counted.event_date = kept.event_date"
        ~ " left join landings on counted.event_date = landings.event_date"
        ~ " where kept.event_date is null or counted.event_date is null"
        ~ " or counted.event_count <> kept.event_count"
        ~ " or landings.landing_id is null"
        ~ " or landings.landing_id is distinct from kept.landing_id"
    )) }}
{%- endmacro %}


{#- pre_hook: the dates hashed again lose their rows first. -#}
{% macro event_days_prepare() -%}
    {%- set days = event_days_to_summarize() -%}
    {%- if days is none -%}
        select 1 as nothing_to_prepare
    {%- else -%}
        {{ log(this.identifier ~ ': ' ~ (days | length) ~ ' event dates hashed again', info=True) }}
        delete from {{ this }} where event_date in ({{ date_list_sql(days) }})
    {%- endif -%}
{%- endmacro %}
