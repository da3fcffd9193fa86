-- weighted_sum_agg usage per charge period, bucket (charge filter) and pricing
-- group: the time-weighted average of a running level whose events are
-- changes (deltas), exactly as Lago's Postgres store computes it
-- (app/services/events/stores/postgres/weighted_sum_query.rb,
-- weighted_sum_service.rb, reference/metering-and-pricing.md §2):
-- * a series of points: the initial level at the period start, each event's
--   change at its timestamp, and 0 at the period end rounded up to the next
--   whole second (`to_datetime.ceil`);
-- * each point weighs its running level x the seconds (microsecond precision,
--   EXTRACT(EPOCH) is numeric) until the next point / charges_duration, the
--   FULL billing period's days x 86400, even in a partial first or last
--   period; points at the same instant weigh 0 but their changes add up;
-- * the weights are summed. Each division is Postgres numeric division: it is
--   rounded half away from zero at the scale select_div_scale picks (at
--   least 16 significant digits; 2500 held 27 of 31 days is
--   2177.4193548387096774), kept here up to 16 decimals.
-- The initial level is 0, or for a recurring metric what the history left
-- before the period (int_usage_history_accumulated): Lago carries the level
-- it cached at the previous period's end, or after a plan change sums the
-- external id's earlier events; both are the history's sum.
-- count: the period's events; groups: those with events in the period
-- (recurring: every group the history has seen).
-- Only buckets and groups with a level or events have a row here:
-- int_usage_aggregated adds the row of 0 a bucket without events gets.
-- Incremental by charge period (macros/usage_increments.sql): a run computes again, from
-- all their events, only the periods with events assigned or lost since the last build, a
-- changed starting level (recurring) or a changed definition; every other period's rows
-- stay as they are.

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ weighted_sum_increment_prepare() }}",
    post_hook="{{ usage_increment_record() }}",
) }}
-- the pre-hook reads the assignment's new rows (which periods gained events):
-- depends_on: {{ ref('int_usage_events_assigned') }}

with

charge_periods as (
    select
        charge_period_id,
        is_recurring,
        charges_from_datetime,
        -- Lago's period end, ceiled to the next whole second
        case
            when charges_to_datetime = {{ dbt.date_trunc('second', 'charges_to_datetime') }}
                then charges_to_datetime
            else {{ dbt.dateadd('second', 1, dbt.date_trunc('second', 'charges_to_datetime')) }}
        end as series_end_at,
        cast(charges_duration_days as hugeint) * 86400 as charges_duration_seconds,
        {{ weighted_sum_period_fingerprint() }} as period_fingerprint
    from {{ ref('int_charge_periods_expanded') }}
    where
        aggregation_type = 'weighted_sum_agg'
        {{ weighted_sum_increment_filter() }}
),

period_events as (
    -- the billable events of weighted sum charges, by home period (incremental)
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        occurred_at,
        received_at,
        source_file,
        source_row,
        aggregation_value
    from {{ ref('int_usage_weighted_sum_events_listed') }}
    where true {{ weighted_sum_increment_filter() }}
),

history as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        value_before_period
    from {{ ref('int_usage_history_accumulated') }}
),

series_starts as (
    -- non-recurring: the groups with events, from 0
    select distinct
        period_events.charge_period_id,
        period_events.charge_filter_id,
        period_events.grouped_by,
        cast(0 as {{ type_precise() }}) as initial_level
    from period_events
    inner join charge_periods
        on period_events.charge_period_id = charge_periods.charge_period_id
    where not charge_periods.is_recurring

    union all

    -- recurring: every group of the history, from the level it left
    select
        history.charge_period_id,
        history.charge_filter_id,
        history.grouped_by,
        history.value_before_period as initial_level
    from history
    inner join charge_periods
        on history.charge_period_id = charge_periods.charge_period_id
),

series_points as (
    select
        series_starts.charge_period_id,
        series_starts.charge_filter_id,
        series_starts.grouped_by,
        charge_periods.charges_from_datetime as point_at,
        0 as point_order,
        cast(null as timestamp) as received_at,
        cast(null as varchar) as source_file,
        cast(null as bigint) as source_row,
        series_starts.initial_level as level_change,
        false as is_event
    from series_starts
    inner join charge_periods
        on series_starts.charge_period_id = charge_periods.charge_period_id

    union all

    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        occurred_at as point_at,
        1 as point_order,
        received_at,
        source_file,
        source_row,
        aggregation_value as level_change,
        true as is_event
    from period_events

    union all

    select
        series_starts.charge_period_id,
        series_starts.charge_filter_id,
        series_starts.grouped_by,
        charge_periods.series_end_at as point_at,
        2 as point_order,
        cast(null as timestamp) as received_at,
        cast(null as varchar) as source_file,
        cast(null as bigint) as source_row,
        cast(0 as {{ type_precise() }}) as level_change,
        false as is_event
    from series_starts
    inner join charge_periods
        on series_starts.charge_period_id = charge_periods.charge_period_id
),

series_levels as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        point_at,
        is_event,
        sum(level_change) over series as running_level,
        lead(point_at) over series as next_point_at
    from series_points
    window series as (
        partition by charge_period_id, charge_filter_id, grouped_by
        order by point_at, point_order, received_at, source_file, source_row
        rows between unbounded preceding and current row
    )
),

weights_scaled as (
    -- var1 = level x seconds held, as an integer scaled by 10^18 (the level
    -- has 12 decimals, the seconds 6); var2 = charges_duration in seconds
    select
        series_levels.charge_period_id,
        series_levels.charge_filter_id,
        series_levels.grouped_by,
        sign(series_levels.running_level) as level_sign,
        abs(cast(series_levels.running_level * 1000000000000 as hugeint))
        * cast(
            {{ epoch_microseconds('series_levels.next_point_at') }}
            - {{ epoch_microseconds('series_levels.point_at') }}
            as hugeint
        ) as held_e18,
        charge_periods.charges_duration_seconds
    from series_levels
    inner join charge_periods
        on series_levels.charge_period_id = charge_periods.charge_period_id
    where
        series_levels.next_point_at > series_levels.point_at
        and series_levels.running_level <> 0
),

weights_exponents as (
    -- decimal exponents of the leading digits of var1 and var2
    select
        *,
        length(cast(held_e18 as varchar)) - 19 as held_exponent,
        length(cast(charges_duration_seconds as varchar)) - 1 as duration_exponent
    from weights_scaled
),

weights_base_10000 as (
    -- Postgres numerics are base-10000 digits: each operand's weight (the
    -- position of its first digit) and that first digit
    select
        *,
        cast(floor(held_exponent / 4.0) as integer) as held_weight,
        cast(floor(duration_exponent / 4.0) as integer) as duration_weight,
        cast(left(
            cast(held_e18 as varchar),
            held_exponent - 4 * cast(floor(held_exponent / 4.0) as integer) + 1
        ) as integer) as held_first_digit,
        cast(left(
            cast(charges_duration_seconds as varchar),
            duration_exponent - 4 * cast(floor(duration_exponent / 4.0) as integer) + 1
        ) as integer) as duration_first_digit
    from weights_exponents
),

weights_division_scaled as (
    -- select_div_scale: 16 significant digits from the estimated quotient
    -- weight, at least var1's 6 decimals; kept to the 16 decimals of
    -- billing.usage units
    select
        *,
        least(greatest(
            16 - 4 * (
                held_weight - duration_weight
                - case when held_first_digit <= duration_first_digit then 1 else 0 end
            ),
            6
        ), 16) as result_scale,
        charges_duration_seconds * 1000000000000000000 as divisor_e18
    from weights_base_10000
),

weights_divided as (
    -- long division on integers: the quotient truncated to 17 decimals
    select
        *,
        {{ integer_divide('held_e18', 'divisor_e18') }} as quotient_integer_part,
        (held_e18 % divisor_e18) * 100000000 as remainder_shifted_8
    from weights_division_scaled
),

weights_digits as (
    select
        *,
        {{ integer_divide('remainder_shifted_8', 'divisor_e18') }} as quotient_digits_1_to_8,
        {{ integer_divide('(remainder_shifted_8 % divisor_e18) * 1000000000', 'divisor_e18') }}
            as quotient_digits_9_to_17
    from weights_divided
),

weights_rounded as (
    -- half away from zero at result_scale (exact from the truncated 17
    -- decimals, as result_scale <= 16)
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        level_sign,
        result_scale,
        {{ integer_divide(
            'quotient_integer_part * 100000000000000000 + quotient_digits_1_to_8 * 1000000000'
            ~ ' + quotient_digits_9_to_17 + '
            ~ integer_divide(power_of_ten_integer('17 - result_scale'), 2),
            power_of_ten_integer('17 - result_scale')
        ) }} as quotient_at_scale
    from weights_digits
),

weights as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        cast(
            level_sign * quotient_at_scale * {{ power_of_ten_integer('16 - result_scale') }}
            as decimal(38, 0)
        ) * cast('0.0000000000000001' as {{ type_usage_units() }}) as weight
    from weights_rounded
),

series_counted as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        count(case when is_event then 1 end) as events_count
    from series_levels
    group by 1, 2, 3
),

weights_summed as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        sum(weight) as weighted_sum
    from weights
    group by 1, 2, 3
),

usage_weighted as (
    select
        series_counted.charge_period_id,
        series_counted.charge_filter_id,
        series_counted.grouped_by,
        cast(coalesce(weights_summed.weighted_sum, 0) as {{ type_usage_units() }}) as units,
        series_counted.events_count,
        -- what an increment compares (macros/usage_increments.sql): a recurring
        -- period's starting level (null otherwise) and the period's definition
        case when charge_periods.is_recurring then series_starts.initial_level end
            as initial_level,
        charge_periods.period_fingerprint
    from series_counted
    inner join charge_periods
        on series_counted.charge_period_id = charge_periods.charge_period_id
    left join weights_summed
        on
            series_counted.charge_period_id = weights_summed.charge_period_id
            and series_counted.charge_filter_id is not distinct from weights_summed.charge_filter_id
            and series_counted.grouped_by = weights_summed.grouped_by
    left join series_starts
        on
            series_counted.charge_period_id = series_starts.charge_period_id
            and series_counted.charge_filter_id is not distinct from series_starts.charge_filter_id
            and series_counted.grouped_by = series_starts.grouped_by
)

select * from usage_weighted
