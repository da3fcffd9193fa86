{#- Incremental usage models: a nightly run aggregates the events assigned since the last
    run, not the whole history again.

    A model here (int_usage_events_totaled, int_usage_history_periods_totaled,
    int_usage_values_operated, int_usage_weighted_sum_events_listed) has a row per charge
    period and more, and each of its rows is a function of the assigned events of one charge
    period only, through aggregates that merge: counts and sums add up, a max is the max of
    the maxes, the last event is the last of the lasts (each row keeps which event that is),
    a list of events is the union of the lists. It is a dbt incremental model keyed by that
    period id. On an increment, the periods
      * that lost events since this model's last build are aggregated again from all their
        events (`__dropped`): int_usage_events_assigned's pre-hook writes the period ids
        (home and bucket) of the rows it deletes to `increments.usage_period_changes`
        (`record_usage_periods_dropped`). A catalog change that moves or redefines a period
        makes the assignment compute again every event of that external subscription id
        (macros/event_increments.sql), which writes its old periods there;
      * that gained events (rows of int_usage_events_assigned computed after this model's
        last build, by their `computed_at`, which reaches the scan: the new rows are at the
        end of the table) and lost none (`__added`): their rows are moved aside
        (`__kept`), and the model merges them with the aggregates of the new rows only.
    Every other period's rows stay as they are. A nightly day therefore reads the day's
    assigned events and the rows of the periods they fall in, not the history.

    Every row is computed again (refill) when the model has no state, when its own file or
    the revision below changed, or when int_usage_events_assigned was built or refilled
    after this model's last build (its `generation`): then it may have lost rows without
    recording their periods. `--full-refresh` builds it anew.

    State: `increments.event_model_states` (model_name = this model; kinds built_at and
    definitions), as for the event models. The change log is pruned, by the assignment's
    pre-hook, of what every usage model has read. tests/integration/test_usage_increments.py
    compares the increments with full builds. Nothing here computes money. -#}

{#- The models that read the change log: it is pruned only of what all of them have seen. -#}
{% macro usage_increment_models() -%}
    {{ return([
        'int_usage_events_totaled',
        'int_usage_history_periods_totaled',
        'int_usage_values_operated',
        'int_usage_weighted_sum_events_listed',
        'int_usage_weighted_sum_aggregated',
    ]) }}
{%- endmacro %}


{% macro _usage_definitions() -%}
    {#- Raise with any change to this file's results: every usage model refills. -#}
    {%- set usage_macros_revision = 1 -%}
    {#- and the usage models it reads (the weighted sum reads its events' list): a change
        to one of them may change every row it gives -#}
    {%- set upstream = [] -%}
    {%- for node_id in model.depends_on.nodes | sort -%}
        {%- if node_id.split('.')[-1] in usage_increment_models() -%}
            {%- do upstream.append(graph.nodes[node_id].checksum.checksum) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(
        model.checksum.checksum ~ ('/' ~ upstream | join('/') if upstream else '')
        ~ '/usage macros revision ' ~ usage_macros_revision
    ) }}
{%- endmacro %}


{#- build | refill | increment, with the reason and this model's last built_at. -#}
{% macro usage_increment_plan() -%}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return({'mode': 'build', 'reason': 'the table is created from every event'}) }}
    {%- endif -%}
    {%- set state = {} -%}
    {%- for row in run_query(
        "select model_name, kind, fingerprint from increments.event_model_states"
        ~ " where model_name in ('" ~ this.identifier ~ "', 'int_usage_events_assigned')"
        ~ " and scope is null"
    ).rows -%}
        {%- do state.update({row[0] ~ '/' ~ row[1]: row[2]}) -%}
    {%- endfor -%}
    {%- set mine = this.identifier ~ '/' -%}
    {%- if (mine ~ 'built_at') not in state -%}
        {{ return({'mode': 'refill', 'reason': 'no state kept from an earlier build'}) }}
    {%- elif state[mine ~ 'definitions'] != _usage_definitions() -%}
        {{ return({'mode': 'refill', 'reason': 'the model or its macros changed'}) }}
    {%- endif -%}
    {#- no generation: the assignment has not been built or refilled since this change,
        so not since this model's first build either, which read every row -#}
    {%- set generation = state.get('int_usage_events_assigned/generation') -%}
    {%- if generation is not none and generation > state[mine ~ 'built_at'] -%}
        {{ return({
            'mode': 'refill',
            'reason': 'int_usage_events_assigned was built again since ' ~ state[mine ~ 'built_at']
        }) }}
    {%- endif -%}
    {{ return({
        'mode': 'increment',
        'reason': 'events assigned since ' ~ state[mine ~ 'built_at'],
        'built_at': state[mine ~ 'built_at']
    }) }}
{%- endmacro %}


{% macro _usage_relation(suffix) -%}
    increments.{{ this.identifier }}__{{ suffix }}
{%- endmacro %}


{% macro _usage_since(plan) -%}
    cast('{{ plan['built_at'] }}' as timestamp)
{%- endmacro %}


{#- pre_hook. On an increment: `__dropped`, the periods of the change log since the last
    build (aggregated again from all their events); `__added`, the other periods of the rows
    assigned since then (`period_column`: the assigned events' period id the model groups
    by, home_ or bucket_charge_period_id); their rows are moved to `__kept`, for the model
    to merge with the new events' aggregates. -#}
{% macro usage_increment_prepare(period_column) -%}
    {%- set plan = usage_increment_plan() -%}
    {%- if plan['mode'] != 'increment' -%}
        {{ _usage_prepare_whole(plan, 'aggregated again') }}
    {%- else -%}
        {%- set dropped, added = _usage_relation('dropped'), _usage_relation('added') -%}
        {%- do run_query(
            'create or replace table ' ~ dropped ~ ' as'
            ~ ' select distinct charge_period_id from increments.usage_period_changes'
            ~ ' where changed_at > ' ~ _usage_since(plan)
        ) -%}
        {#- computed_at reaches the scan: the new rows are at the end of the table -#}
        {%- do run_query(
            'create or replace table ' ~ added ~ ' as'
            ~ ' select distinct ' ~ period_column ~ ' as charge_period_id'
            ~ ' from ' ~ ref('int_usage_events_assigned')
            ~ ' where computed_at > ' ~ _usage_since(plan)
            ~ ' and ' ~ period_column ~ ' is not null'
            ~ ' and ' ~ period_column ~ ' not in (select charge_period_id from ' ~ dropped ~ ')'
        ) -%}
        {%- set counts = run_query(
            'select (select count(*) from ' ~ added ~ '), (select count(*) from ' ~ dropped ~ ')'
        ).rows[0] -%}
        {{ log(
            this.identifier ~ ': ' ~ counts[0] ~ ' charge periods merged with their new events, '
            ~ counts[1] ~ ' aggregated again (' ~ plan['reason'] ~ ')', info=True
        ) }}
        create or replace table {{ _usage_relation('kept') }} as
            select * from {{ this }}
            where charge_period_id in (select charge_period_id from {{ added }});
        delete from {{ this }}
        where charge_period_id in (
            select charge_period_id from {{ added }}
            union all
            select charge_period_id from {{ dropped }}
        )
    {%- endif -%}
{%- endmacro %}


{#- A pre_hook's build (nothing to prepare; also at parse time, where the plan is a build)
    or refill (every row goes; `done`: what the log says of every period). -#}
{% macro _usage_prepare_whole(plan, done) -%}
    {%- if plan['mode'] == 'refill' -%}
        {{ log(
            this.identifier ~ ': every period ' ~ done ~ ' (' ~ plan['reason'] ~ ')', info=True
        ) }}
        delete from {{ this }}
    {%- else -%}
        select 1 as nothing_to_prepare
    {%- endif -%}
{%- endmacro %}


{#- The assigned events the model aggregates: every row on a build or refill; on an
    increment, the rows assigned since the last build in the periods to merge, and every
    row of the periods aggregated again (a scan of every row's period id; with no such
    period DuckDB skips it, as the semi-join's other side is empty). -#}
{% macro usage_increment_events(period_column) -%}
    {%- set plan = usage_increment_plan() -%}
    {%- if plan['mode'] != 'increment' -%}
        {{ return(ref('int_usage_events_assigned')) }}
    {%- endif -%}
    (
        select * from {{ ref('int_usage_events_assigned') }}
        where
            computed_at > {{ _usage_since(plan) }}
            and {{ period_column }} in (select charge_period_id from {{ _usage_relation('added') }})
        union all
        select * from {{ ref('int_usage_events_assigned') }}
        where {{ period_column }} in (select charge_period_id from {{ _usage_relation('dropped') }})
    )
{%- endmacro %}


{#- After the new events' aggregates: on an increment, the kept rows of their periods, for
    the model to merge (`union all by name`). -#}
{% macro usage_increment_kept() -%}
    {%- if usage_increment_plan()['mode'] == 'increment' -%}
        union all by name
        select * from {{ _usage_relation('kept') }}
    {%- endif -%}
{%- endmacro %}


{#- post_hook: keep the build's stamp and definitions. -#}
{% macro usage_increment_record() -%}
    {%- if not execute -%}{{ return('select 1 as nothing_to_record') }}{%- endif -%}
    delete from increments.event_model_states where model_name = '{{ this.identifier }}';
    insert into increments.event_model_states
    select '{{ this.identifier }}', 'built_at', null, '{{ _event_stamp() }}'
    union all
    select '{{ this.identifier }}', 'definitions', null, '{{ _usage_definitions() }}';
    drop table if exists {{ _usage_relation('added') }};
    drop table if exists {{ _usage_relation('dropped') }};
    drop table if exists {{ _usage_relation('kept') }};
    drop table if exists {{ _usage_relation('pending') }}
{%- endmacro %}


{#- In int_usage_events_assigned's pre-hook, before it deletes the rows of its pending keys:
    the periods of those rows, for the usage models. -#}
{% macro record_usage_periods_dropped(rows_dropped) -%}
    {#- rows_dropped: a table of the row ids (row_id) the assignment is about to delete -#}
    {#- first, the log's entries every usage model has read (pruned here, where one model
        runs at a time: the usage models run side by side, and DuckDB refuses two
        transactions deleting the same rows) -#}
    delete from increments.usage_period_changes
    where changed_at <= (
        select case when count(*) = {{ usage_increment_models() | length }}
            then min(cast(fingerprint as timestamp)) end
        from increments.event_model_states
        where kind = 'built_at'
            and model_name in ('{{ usage_increment_models() | join("', '") }}')
    );
    insert into increments.usage_period_changes
    select distinct period_id, cast('{{ _event_stamp() }}' as timestamp)
    from (
        select unnest([home_charge_period_id, bucket_charge_period_id]) as period_id
        from {{ this }}
        where rowid in (select row_id from {{ rows_dropped }})
    ) as dropped
    where period_id is not null;
{%- endmacro %}


{#- The weighted sum (int_usage_weighted_sum_aggregated) is incremental by charge period
    too, but its Postgres-rounded weight per segment does not merge: a period that changed
    is computed again from all its events (int_usage_weighted_sum_events_listed, a small
    table), every other period's rows stay. A period changed when, since the last build,
    (a) events were assigned to it, (b) it lost events (the change log), (c) for a
    recurring charge, the level the history leaves at its start changed, or a group
    appeared in or left its history (each row keeps the `initial_level` it started from),
    or (d) its definition (start, end, length, recurring) changed or it is gone (each row
    keeps a `period_fingerprint`); a new period is (a) or (c). The plan (build, refill,
    increment) is `usage_increment_plan()`'s. -#}

{#- The fingerprint of a charge period's definition, from int_charge_periods_expanded's
    columns (`prefix`: the relation's alias and a dot). -#}
{% macro weighted_sum_period_fingerprint(prefix='') -%}
    md5(concat_ws('|',
        {{ prefix }}charges_from_datetime, {{ prefix }}charges_to_datetime,
        {{ prefix }}charges_duration_days, {{ prefix }}is_recurring
    ))
{%- endmacro %}


{#- pre_hook of int_usage_weighted_sum_aggregated: on an increment, `__pending` lists the
    periods to compute again, and their rows go. -#}
{% macro weighted_sum_increment_prepare() -%}
    {%- set plan = usage_increment_plan() -%}
    {%- if plan['mode'] != 'increment' -%}
        {{ _usage_prepare_whole(plan, 'computed again') }}
    {%- else -%}
        {%- set pending = _usage_relation('pending') -%}
        {%- do run_query(
            'create or replace table ' ~ pending ~ ' as '
            ~ _weighted_sum_pending_sql(plan)
        ) -%}
        {%- set count = run_query('select count(*) from ' ~ pending).rows[0][0] -%}
        {{ log(
            this.identifier ~ ': ' ~ count ~ ' charge periods computed again ('
            ~ plan['reason'] ~ ')', info=True
        ) }}
        delete from {{ this }}
        where charge_period_id in (select charge_period_id from {{ pending }})
    {%- endif -%}
{%- endmacro %}


{% macro _weighted_sum_pending_sql(plan) -%}
    with

    charge_periods as (
        select
            charge_period_id,
            {{ weighted_sum_period_fingerprint() }} as period_fingerprint
        from {{ ref('int_charge_periods_expanded') }}
        where aggregation_type = 'weighted_sum_agg'
    ),

    kept_levels as (
        select charge_period_id, charge_filter_id, grouped_by, initial_level
        from {{ this }}
        where initial_level is not null
    ),

    history_levels as (
        select
            history.charge_period_id,
            history.charge_filter_id,
            history.grouped_by,
            history.value_before_period as initial_level
        from {{ ref('int_usage_history_accumulated') }} as history
        inner join charge_periods
            on history.charge_period_id = charge_periods.charge_period_id
    )

    -- (a) events assigned since the last build (computed_at reaches the scan)
    select home_charge_period_id as charge_period_id
    from {{ ref('int_usage_events_assigned') }}
    where
        computed_at > {{ _usage_since(plan) }}
        and aggregation_type = 'weighted_sum_agg'
        and home_charge_period_id is not null
    union
    -- (b) events lost (a period gone is (d))
    select charge_period_id
    from increments.usage_period_changes
    where
        changed_at > {{ _usage_since(plan) }}
        and charge_period_id in (select charge_period_id from charge_periods)
    union
    -- (c) a recurring period's starting levels
    select coalesce(history_levels.charge_period_id, kept_levels.charge_period_id)
    from history_levels
    full outer join kept_levels
        on
            history_levels.charge_period_id = kept_levels.charge_period_id
            and history_levels.charge_filter_id is not distinct from kept_levels.charge_filter_id
            and history_levels.grouped_by = kept_levels.grouped_by
    where history_levels.initial_level is distinct from kept_levels.initial_level
    union
    -- (d) a period redefined or gone
    select kept.charge_period_id
    from (select distinct charge_period_id, period_fingerprint from {{ this }}) as kept
    left join charge_periods
        on kept.charge_period_id = charge_periods.charge_period_id
    where charge_periods.period_fingerprint is distinct from kept.period_fingerprint
{%- endmacro %}


{#- In the weighted sum's relations: on an increment, only the pending periods' rows. -#}
{% macro weighted_sum_increment_filter(column='charge_period_id') -%}
    {%- if usage_increment_plan()['mode'] == 'increment' -%}
        and {{ column }} in (select charge_period_id from {{ _usage_relation('pending') }})
    {%- endif -%}
{%- endmacro %}
