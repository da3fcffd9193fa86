{#- Incremental event models: a nightly run computes again only the events it can change.

    The three models with a row per event (int_events_deduplicated,
    int_events_validated, int_usage_events_assigned) are dbt incremental
    models. Each keeps, in `increments.event_model_states`, what it was last
    built from:

      as_of        the run's as_of
      built_at     dbt's run_started_at of that build (also each row's computed_at)
      definitions  a fingerprint of what no increment can follow: the model's
                   own file, the revision of the macros it calls (raise
                   `event_macros_revision` below with any change to their
                   results), and the metric definitions and charge filters it
                   reads
      day          per event date: its number of events and content hash
                   (int_event_days_summarized)
      subscription per external subscription id: a fingerprint of the catalog
                   rows its events are classified and assigned with
                   (subscriptions, billing and charge periods started before
                   as_of, the charges reading its history)

    A run then decides, for each model (`event_increment_plan`):

      build     the table does not exist or `--full-refresh` was given: dbt
                creates it from every event;
      refill    no state kept, the definitions changed, or as_of moved back: every
                row is deleted and computed again from every event (what a build
                does, in place);
      increment otherwise: only the rows of the pending keys are deleted and
                computed again. A key is an (external_subscription_id,
                transaction_id): duplicates are decided within it, and every
                event of a key is computed together. The pending keys are those of
                * the events of a day whose summary differs (landed again), and
                  the rows this model holds for such a day (an event no longer
                  there is deleted);
                * the events received or timestamped at or after the last as_of
                  (unknown then, or not billable yet);
                * the rows the model upstream computed after this model's last
                  build (so a model that failed catches up on the next run);
                * every event of an external subscription id whose catalog
                  fingerprint changed (a new or terminated subscription, a new
                  plan, a period moved).

    Each row is a function of its key's events, the catalog and as_of only
    (no row reads another key's rows), so an increment gives the rows a full
    build would: tests/integration/test_event_increments.py compares the two
    after landings, late events, duplicates across days, removed events and
    catalog changes. Nothing here computes money.

    For the usage models incremental by charge period (macros/usage_increments.sql), the
    assignment's pre-hook also writes the periods of the rows it deletes to
    `increments.usage_period_changes`, and, when it builds or refills every row, its
    `generation` (kept in the state through its own post-hook). -#}

{% macro ensure_event_increments_state() -%}
    {#- Run by `on-run-start` (dbt_project.yml), like the ledger: not a model, so
        dbt never drops it; the incremental models' post-hooks write it. -#}
    create schema if not exists increments;
    create table if not exists increments.event_model_states (
        model_name varchar,
        kind varchar,
        scope varchar,
        fingerprint varchar
    );
    -- the charge periods of assigned events deleted, for the usage models
    -- (macros/usage_increments.sql)
    create table if not exists increments.usage_period_changes (
        charge_period_id varchar,
        changed_at timestamp
    );
{%- endmacro %}


{% macro _event_pending_relation() -%}
    increments.{{ this.identifier }}__pending
{%- endmacro %}


{% macro _event_state_rows(kind) -%}
    select scope, fingerprint
    from increments.event_model_states
    where model_name = '{{ this.identifier }}' and kind = '{{ kind }}'
{%- endmacro %}


{% macro _event_stamp() -%}
    {{- run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') -}}
{%- endmacro %}


{#- The per-external-id catalog fingerprint of a model (none for deduplication,
    which reads no catalog), from periods started before `as_of_sql`. -#}
{% macro _event_scopes_sql(model_kind, as_of_sql) -%}
    select
        external_subscription_id,
        cast(sum(part_hash) as varchar) || ':' || cast(count(*) as varchar) as fingerprint
    from (
        {%- if model_kind == 'validated' %}
        select
            external_subscription_id,
            hash('subscription', subscription_id, created_at, started_at, ended_at) as part_hash
        from {{ ref('int_subscriptions_resolved') }}
        union all
        select
            external_subscription_id,
            hash(
                'period', billing_period_id, subscription_id, charges_from_datetime,
                charges_to_datetime, full_charges_to_datetime, charges_issuing_date,
                charges_invoice_finalizes_at
            ) as part_hash
        from {{ ref('int_billing_periods_generated') }}
        where charges_from_datetime < {{ as_of_sql }}
        {%- else %}
        select
            external_subscription_id,
            hash(
                'charge_period', charge_period_id, billing_period_id, charge_id,
                billable_metric_code, aggregation_type, is_recurring,
                charges_from_datetime, charges_to_datetime
            ) as part_hash
        from {{ ref('int_charge_periods_expanded') }}
        where charges_from_datetime < {{ as_of_sql }}
        union all
        -- the charges reading the id's history, whenever their periods start
        select
            external_subscription_id,
            hash('history', charge_id, billable_metric_code, aggregation_type) as part_hash
        from (
            select distinct external_subscription_id, charge_id, billable_metric_code, aggregation_type
            from {{ ref('int_charge_periods_expanded') }}
            where
                is_recurring
                and aggregation_type in ('sum_agg', 'unique_count_agg', 'weighted_sum_agg')
        ) as history_charges
        {%- endif %}
    ) as parts
    group by external_subscription_id
{%- endmacro %}


{#- What an increment cannot follow: a change rebuilds every row. -#}
{% macro _event_definitions_sql(model_kind) -%}
    {#- The revision of the macros the event models call (json.sql, metering.sql,
        event_days.sql, this file): raise it with any change to their results, so that
        the next run computes every row again. A change to a model's own file is seen
        from its checksum. -#}
    {%- set event_macros_revision = 1 -%}
    select concat_ws(
        '/',
        '{{ model.checksum.checksum }}',
        'macros revision {{ event_macros_revision }}'
        {%- if model_kind == 'validated' %},
        coalesce((
            select cast(sum(hash(billable_metric_code, aggregation_type, field_name)) as varchar)
            from {{ ref('stg_raw__billable_metrics') }}
        ), '-'),
        coalesce((
            select cast(sum(hash(billable_metric_code, filter_key, filter_values)) as varchar)
            from {{ ref('stg_raw__billable_metric_filters') }}
        ), '-')
        {%- elif model_kind == 'assigned' %},
        coalesce((
            select cast(sum(hash(
                charge_id, charge_filter_id, charge_filter_position, pricing_group_keys,
                filter_keys_count, filter_values_count, filter_conditions
            )) as varchar)
            from {{ ref('int_usage_filters_resolved') }}
        ), '-')
        {%- endif %}
    ) as definitions
{%- endmacro %}


{#- build | refill | increment, with the reason and the last build's as_of and
    built_at. Decided again, identically, by the pre-hook and the model (the
    state changes only in the post-hook). -#}
{% macro event_increment_plan(model_kind) -%}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return({'mode': 'build', 'reason': 'the table is created from every event'}) }}
    {%- endif -%}
    {%- set state = {} -%}
    {%- for row in run_query(
        "select kind, fingerprint from increments.event_model_states where model_name = '"
        ~ this.identifier ~ "' and scope is null"
    ).rows -%}
        {%- do state.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {%- set definitions = run_query(_event_definitions_sql(model_kind)).rows[0][0] -%}
    {%- set as_of = _billing_window_part('as_of', 'BILLING_WINDOW_AS_OF') -%}
    {%- if 'as_of' not in state or 'built_at' not in state -%}
        {{ return({'mode': 'refill', 'reason': 'no state kept from an earlier build', 'definitions': definitions}) }}
    {%- elif state['definitions'] != definitions -%}
        {{ return({
            'mode': 'refill',
            'reason': 'the model, its macros, the metric definitions or the charge filters changed',
            'definitions': definitions
        }) }}
    {%- endif -%}
    {%- set moved_back = run_query(
        "select cast('" ~ as_of ~ "' as timestamp) < cast('" ~ state['as_of'] ~ "' as timestamp)"
    ).rows[0][0] -%}
    {%- if moved_back -%}
        {{ return({
            'mode': 'refill',
            'reason': 'as_of ' ~ as_of ~ ' is before the last build\'s ' ~ state['as_of'],
            'definitions': definitions
        }) }}
    {%- endif -%}
    {{ return({
        'mode': 'increment',
        'reason': 'events changed since the build as of ' ~ state['as_of'],
        'since': state['as_of'],
        'built_at': state['built_at'],
        'definitions': definitions
    }) }}
{%- endmacro %}


{#- The event dates whose summary differs from the one kept at the last build (landed
    again since), as 'YYYY-MM-DD' strings: read once, so that the pending keys' scans
    filter on constants. -#}
{% macro _event_days_changed() -%}
    {{ return(query_dates(
        "with days_now as (select event_date, cast(event_count as varchar) || ':' || content_hash"
        ~ " as fingerprint from " ~ ref('int_event_days_summarized') ~ "),"
        ~ " days_then as (select cast(scope as date) as event_date, fingerprint from ("
        ~ _event_state_rows('day') ~ ") as kept)"
        ~ " select coalesce(days_now.event_date, days_then.event_date)"
        ~ " from days_now full outer join days_then on days_now.event_date = days_then.event_date"
        ~ " where days_now.fingerprint is distinct from days_then.fingerprint"
    )) }}
{%- endmacro %}


{#- The keys whose rows an increment computes again (see the top of this file).

    Every condition on a scan is on one column and against constants, so that it reaches
    DuckDB's scan, which skips the row groups whose min/max exclude it and reads the key
    columns of the matching rows only (a nightly's rows are at the end of each table): a
    condition it cannot push (an `or` across columns, a cast of the column, a semi-join)
    reads every row's keys, 4 to 9 s a model at 100M events. Hence one `union all` branch
    per reason; the changed days as literals (`_event_days_changed`); their rows kept here
    found by a range of occurred_at first; and deduplication reading raw.events' own
    columns rather than its staging view, whose received_at is a coalesce: there the
    branches `received_at >= since` and `"timestamp" >= since` give the same keys as
    coalesce(received_at, "timestamp") >= since and occurred_at >= since. -#}
{% macro _event_pending_keys_sql(model_kind, plan, upstream) -%}
    {%- set since = "cast('" ~ plan['since'] ~ "' as timestamp)" -%}
    {%- set days = _event_days_changed() -%}
    {%- if model_kind == 'deduplicated' -%}
        {%- set upstream, occurred_at = source('raw', 'events'), '"timestamp"' -%}
    {%- else -%}
        {%- set occurred_at = 'occurred_at' -%}
    {%- endif -%}
    with

    {%- if model_kind != 'deduplicated' %}

    scopes_now as (
        {{ _event_scopes_sql(model_kind, since) }}
    ),

    scopes_then as (
        select scope as external_subscription_id, fingerprint
        from ({{ _event_state_rows('subscription') }}) as kept
    ),

    scopes_changed as (
        select coalesce(scopes_now.external_subscription_id, scopes_then.external_subscription_id)
            as external_subscription_id
        from scopes_now
        full outer join scopes_then
            on scopes_now.external_subscription_id = scopes_then.external_subscription_id
        where scopes_now.fingerprint is distinct from scopes_then.fingerprint
    ),
    {%- endif %}

    keys as (
        {%- set reasons = [] %}
        {%- if days %}
        {#- the rows kept for a day landed again (an event no longer there goes) -#}
        {%- do reasons.append((this,
            "occurred_at >= timestamp '" ~ days[0] ~ "'"
            ~ " and occurred_at < timestamp '" ~ days[-1] ~ "' + interval 1 day"
            ~ " and cast(occurred_at as date) in (" ~ date_list_sql(days) ~ ")")) %}
        {#- the events of such a day -#}
        {%- do reasons.append((upstream, 'event_date in (' ~ date_list_sql(days) ~ ')')) %}
        {%- endif %}
        {#- those unknown or not billable at the last as_of -#}
        {%- do reasons.append((upstream, 'received_at >= ' ~ since)) %}
        {%- do reasons.append((upstream, occurred_at ~ ' >= ' ~ since)) %}
        {%- if model_kind != 'deduplicated' %}
        {#- the rows the model upstream computed after this model's last build; every event
            of an external id whose catalog changed -#}
        {%- do reasons.append((upstream,
            "computed_at > cast('" ~ plan['built_at'] ~ "' as timestamp)", true)) %}
        {%- do reasons.append((upstream,
            'external_subscription_id in (select external_subscription_id from scopes_changed)')) %}
        {%- endif %}
        {%- for reason in reasons %}
        {{ 'union all' if not loop.first }}
        select
            external_subscription_id,
            transaction_id,
            {{ reason[2] | default(false) }} as via_upstream
        from {{ reason[0] }}
        where {{ reason[1] }}
        {%- endfor %}
    )

    -- via_upstream: the model upstream computed the key again since this model's last
    -- build, so every row it holds of the key is newer than that build
    -- (event_increment_input)
    select external_subscription_id, transaction_id, bool_or(via_upstream) as via_upstream
    from keys
    group by external_subscription_id, transaction_id
{%- endmacro %}


{#- pre_hook of an incremental event model: delete what the run computes again. -#}
{% macro event_increment_prepare(model_kind, upstream) -%}
    {%- if not execute -%}{{ return('select 1 as nothing_to_prepare') }}{%- endif -%}
    {%- set plan = event_increment_plan(model_kind) -%}
    {%- if plan['mode'] != 'increment' and model_kind == 'assigned' -%}
        {#- every row is new: the usage models (macros/usage_increments.sql) refill -#}
        delete from increments.event_model_states
        where model_name = '{{ this.identifier }}' and kind = 'generation';
        insert into increments.event_model_states
        values ('{{ this.identifier }}', 'generation', null, '{{ _event_stamp() }}');
    {% endif -%}
    {%- if plan['mode'] == 'build' -%}
        select 1 as nothing_to_prepare
    {%- elif plan['mode'] == 'refill' -%}
        {{ log(this.identifier ~ ': every row computed again (' ~ plan['reason'] ~ ')', info=True) }}
        delete from {{ this }}
    {%- else -%}
        {#- made while the hook renders, to say how many keys the run computes again -#}
        {%- set pending = _event_pending_relation() -%}
        {%- do run_query(
            'create or replace table ' ~ pending ~ ' as '
            ~ _event_pending_keys_sql(model_kind, plan, upstream)
        ) -%}
        {%- set counted = run_query('select count(*) from ' ~ pending).rows[0][0] -%}
        {{ log(
            this.identifier ~ ': ' ~ counted ~ ' transaction keys computed again ('
            ~ plan['reason'] ~ ')', info=True
        ) }}
        {%- if model_kind == 'assigned' %}
        {#- the rows to delete found once (one scan of every row's keys), for the usage
            models' change log and the delete -#}
        create or replace temp table assigned_rows_dropped as
            select rowid as row_id from {{ this }}
            where (external_subscription_id, transaction_id) in (
                select external_subscription_id, transaction_id from {{ pending }}
            );
        {{ record_usage_periods_dropped('assigned_rows_dropped') }}
        delete from {{ this }} where rowid in (select row_id from assigned_rows_dropped);
        drop table assigned_rows_dropped
        {%- else %}
        delete from {{ this }}
        where (external_subscription_id, transaction_id) in (
            select external_subscription_id, transaction_id from {{ pending }}
        )
        {%- endif %}
    {%- endif -%}
{%- endmacro %}


{#- In deduplication's scan of the raw events: only the pending keys on an increment
    (validation and assignment read their input through event_increment_input). -#}
{% macro event_increment_filter(model_kind) -%}
    {%- set plan = event_increment_plan(model_kind) -%}
    {%- if plan['mode'] == 'increment' -%}
        (external_subscription_id, transaction_id) in (
            select external_subscription_id, transaction_id from {{ _event_pending_relation() }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- The rows of the model upstream an increment reads (validation and assignment; their
    upstream has computed_at): those of the pending keys, found in two scans. The keys the
    upstream computed again since this model's last build have all their rows newer than
    it: `computed_at` after that build reaches the scan, which reads only the table's last
    row groups. The other keys (a catalog change, a rerun: none on an ordinary night) are
    looked up among every row; with none, DuckDB skips that scan. -#}
{% macro event_increment_input(model_kind, upstream) -%}
    {%- set plan = event_increment_plan(model_kind) -%}
    {%- if plan['mode'] != 'increment' -%}{{ return(upstream) }}{%- endif -%}
    {%- set pending = _event_pending_relation() -%}
    (
        select * from {{ upstream }}
        where
            computed_at > cast('{{ plan['built_at'] }}' as timestamp)
            and (external_subscription_id, transaction_id) in (
                select external_subscription_id, transaction_id from {{ pending }}
                where via_upstream
            )
        union all
        select * from {{ upstream }}
        where (external_subscription_id, transaction_id) in (
            select external_subscription_id, transaction_id from {{ pending }}
            where not via_upstream
        )
    )
{%- endmacro %}


{#- Each row's computed_at: the build (dbt invocation) that wrote it. -#}
{% macro event_increment_stamp() -%}
    cast('{{ _event_stamp() }}' as timestamp)
{%- endmacro %}


{#- post_hook: keep what the rows were computed from, for the next run. -#}
{% macro event_increment_record(model_kind) -%}
    {%- if not execute -%}{{ return('select 1 as nothing_to_record') }}{%- endif -%}
    {%- set as_of = _billing_window_part('as_of', 'BILLING_WINDOW_AS_OF') -%}
    {%- set definitions = run_query(_event_definitions_sql(model_kind)).rows[0][0] -%}
    delete from increments.event_model_states
    where model_name = '{{ this.identifier }}' and kind <> 'generation';
    insert into increments.event_model_states
    select '{{ this.identifier }}', 'as_of', null, '{{ as_of }}'
    union all
    select '{{ this.identifier }}', 'built_at', null, '{{ _event_stamp() }}'
    union all
    select '{{ this.identifier }}', 'definitions', null, '{{ definitions }}'
    union all
    select
        '{{ this.identifier }}', 'day', cast(event_date as varchar),
        cast(event_count as varchar) || ':' || content_hash
    from {{ ref('int_event_days_summarized') }}
    {%- if model_kind != 'deduplicated' %}
    union all
    select '{{ this.identifier }}', 'subscription', external_subscription_id, fingerprint
    from ({{ _event_scopes_sql(model_kind, billing_as_of()) }}) as scopes
    {%- endif %};
    drop table if exists {{ _event_pending_relation() }}
{%- endmacro %}
