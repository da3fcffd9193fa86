-- What the history of a recurring metric adds up to in each charge period
-- (reference/metering-and-pricing.md §2-3), for the recurring sum_agg,
-- unique_count_agg and weighted_sum_agg charges: one row per charge period,
-- bucket (charge filter) and pricing group seen in it or before it (a group
-- carries over to every later period, as Lago's recurring queries read all
-- history and its weighted sums carry every group's cached level).
--
-- Each billable event is counted once per charge, in the charge period it
-- falls in, or in the first period of the charge after it when it precedes
-- the charge (events sent before a plan change to this charge,
-- int_usage_events_assigned); running totals over the charge's periods then
-- give, at each period, the history up to its end and up to its start.
-- Unique count: a value is active at a period end when its last operation so
-- far is an add (Lago's unique count query sums, per value, +1 for an add
-- after a remove or nothing, -1 for a remove after an add: the running sum is
-- 1 exactly when the last operation is an add).

with

charge_periods as (
    select
        charge_period_id,
        external_subscription_id,
        charge_id,
        charges_from_datetime,
        charges_to_datetime
    from {{ ref('int_charge_periods_expanded') }}
    where
        is_recurring
        and aggregation_type in ('sum_agg', 'unique_count_agg', 'weighted_sum_agg')
),

period_totals as (
    -- what each period adds (incremental: macros/usage_increments.sql)
    select
        charge_period_id as bucket_charge_period_id,
        charge_filter_id,
        grouped_by,
        value_sum,
        value_sum_before_period,
        events_count
    from {{ ref('int_usage_history_periods_totaled') }}
),

unique_values_last_operations as (
    -- each value's last operation in the period (incremental, like the totals); the
    -- subscription, charge and period start come with the period
    select
        values_operated.charge_period_id as bucket_charge_period_id,
        values_operated.charge_filter_id,
        values_operated.grouped_by,
        values_operated.aggregation_property_text,
        charge_periods.external_subscription_id,
        charge_periods.charge_id,
        charge_periods.charges_from_datetime,
        values_operated.operation_type
    from {{ ref('int_usage_values_operated') }} as values_operated
    inner join charge_periods
        on values_operated.charge_period_id = charge_periods.charge_period_id
),

unique_value_states as (
    -- per value, whether its last operation in the period is an add, and
    -- how that changes what the previous period left
    select
        bucket_charge_period_id,
        charge_filter_id,
        grouped_by,
        case when operation_type = 'add' then 1 else 0 end
        - coalesce(lag(case when operation_type = 'add' then 1 else 0 end) over (
            partition by external_subscription_id, charge_id, charge_filter_id, grouped_by, aggregation_property_text
            order by charges_from_datetime
        ), 0) as active_change
    from unique_values_last_operations
),

period_unique_changes as (
    select
        bucket_charge_period_id,
        charge_filter_id,
        grouped_by,
        sum(active_change) as active_values_change
    from unique_value_states
    group by 1, 2, 3
),

groups_first_seen as (
    -- a group is seen in a period when the period counts an event of it
    select
        charge_periods.external_subscription_id,
        charge_periods.charge_id,
        period_totals.charge_filter_id,
        period_totals.grouped_by,
        min(charge_periods.charges_from_datetime) as first_seen_period_from
    from period_totals
    inner join charge_periods
        on period_totals.bucket_charge_period_id = charge_periods.charge_period_id
    group by 1, 2, 3, 4
),

periods_spined as (
    -- every period of the charge from the one where the group first appears
    select
        charge_periods.charge_period_id,
        charge_periods.external_subscription_id,
        charge_periods.charge_id,
        charge_periods.charges_from_datetime,
        groups_first_seen.charge_filter_id,
        groups_first_seen.grouped_by
    from groups_first_seen
    inner join charge_periods
        on
            groups_first_seen.external_subscription_id = charge_periods.external_subscription_id
            and groups_first_seen.charge_id = charge_periods.charge_id
            and groups_first_seen.first_seen_period_from <= charge_periods.charges_from_datetime
),

periods_joined as (
    select
        periods_spined.*,
        coalesce(period_totals.value_sum, 0) as value_sum,
        coalesce(period_totals.value_sum_before_period, 0) as value_sum_before_period,
        coalesce(period_totals.events_count, 0) as events_count,
        coalesce(period_unique_changes.active_values_change, 0) as active_values_change
    from periods_spined
    left join period_totals
        on
            periods_spined.charge_period_id = period_totals.bucket_charge_period_id
            and periods_spined.charge_filter_id is not distinct from period_totals.charge_filter_id
            and periods_spined.grouped_by = period_totals.grouped_by
    left join period_unique_changes
        on
            periods_spined.charge_period_id = period_unique_changes.bucket_charge_period_id
            and periods_spined.charge_filter_id is not distinct from period_unique_changes.charge_filter_id
            and periods_spined.grouped_by = period_unique_changes.grouped_by
),

history_accumulated as (
    select
        charge_period_id,
        charge_filter_id,
        grouped_by,
        -- every event up to the period end (recurring sum, its count)
        cast(sum(value_sum) over history as {{ type_precise() }}) as value_total,
        cast(sum(events_count) over history as bigint) as events_count_total,
        -- the level the period starts from (recurring weighted sum)
        cast(
            sum(value_sum) over history - value_sum + value_sum_before_period
            as {{ type_precise() }}
        ) as value_before_period,
        -- values whose last operation up to the period end is an add
        cast(sum(active_values_change) over history as bigint) as active_values_count
    from periods_joined
    window history as (
        partition by external_subscription_id, charge_id, charge_filter_id, grouped_by
        order by charges_from_datetime
        rows between unbounded preceding and current row
    )
)

select * from history_accumulated
