-- Every event of a metric, for every charge on that metric of its external
-- subscription id, with the bucket (charge filter) and the pricing group it
-- falls in under that charge and the charge period it is aggregated in. One
-- pass over the events: no per-subscription or per-period query.
--
-- * Home rows: the charge periods of the event's own billing period (every
--   charge of its version's plan on the metric). Non-recurring aggregations
--   read only these.
-- * History rows: recurring sum, unique count and weighted sum read all the
--   history of the external id, events sent before a plan change included
--   (Lago selects events by external_subscription_id and code,
--   reference/metering-and-pricing.md §1, §3). An event outside the periods
--   of such a charge joins the first period of that charge ending after it.
-- Only billable events are read, except that home rows keep the events the
-- metric's own checks exclude (is_valid false), for int_usage_events_valued.
--
-- Filters (charge_filters/matching_and_ignored_service.rb): an event matches a
-- filter when, for every key of the filter, its property text is one of the
-- key's values. It counts in its most specific matching filter only: the one
-- with the most keys, then the fewest values (a filter whose values are a
-- subset of a sibling's takes the shared events), then the oldest (identical
-- filters: the first listed). This is what Lago's ignored_filters give, except
-- that Lago counts an event in every filter when overlapping filters are not
-- nested (DECISIONLOG.md). Events matching no filter go to the default bucket.
-- The pricing group is read with the keys of the bucket: the filter's own, or
-- the charge's for the default bucket.
-- Incremental (macros/event_increments.sql): a run assigns again only the keys
-- validation classified again, and those of an external id whose charge
-- periods changed.

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ event_increment_prepare('assigned', ref('int_events_validated')) }}",
    post_hook="{{ event_increment_record('assigned') }}",
) }}

-- depends_on: {{ ref('int_event_days_summarized') }}

with

events as (
    select
        event_id,
        transaction_id,
        external_subscription_id,
        code,
        properties,
        occurred_at,
        received_at,
        source_file,
        source_row,
        billing_period_id,
        aggregation_property_text,
        aggregation_value,
        operation_type,
        precise_total_amount_cents,
        error_code is null as is_valid
    from {{ event_increment_input('assigned', ref('int_events_validated')) }} as validated
    where billing_period_id is not null
),

charge_periods as (
    select
        charge_period_id,
        billing_period_id,
        external_subscription_id,
        charge_id,
        billable_metric_code,
        aggregation_type,
        is_recurring,
        charges_from_datetime,
        charges_to_datetime
    from {{ ref('int_charge_periods_expanded') }}
),

usage_filters as (
    select
        charge_id,
        charge_filter_id,
        charge_filter_position,
        pricing_group_keys,
        filter_keys_count,
        filter_values_count,
        filter_conditions
    from {{ ref('int_usage_filters_resolved') }}
),

history_reading_charges as (
    -- recurring sum_agg and unique_count_agg drop the period's lower bound;
    -- a recurring weighted_sum_agg starts from the level the history left
    select distinct
        external_subscription_id,
        charge_id,
        billable_metric_code,
        aggregation_type,
        is_recurring
    from charge_periods
    where
        is_recurring
        and aggregation_type in ('sum_agg', 'unique_count_agg', 'weighted_sum_agg')
),

history_events as (
    -- the billable events of metrics some charge reads the history of
    select
        event_id,
        transaction_id,
        external_subscription_id,
        code,
        properties,
        occurred_at,
        received_at,
        source_file,
        source_row,
        billing_period_id,
        aggregation_property_text,
        aggregation_value,
        operation_type,
        precise_total_amount_cents,
        true as is_valid
    from {{ event_increment_input('assigned', ref('int_events_validated')) }} as validated
    where
        error_code is null
        and code in (select billable_metric_code from history_reading_charges)
),

charge_filter_lists as (
    -- each charge's filters, most specific first, and its own group keys
    select
        charge_id,
        list(
            {
                'charge_filter_id': charge_filter_id,
                'filter_conditions': filter_conditions,
                'pricing_group_keys': pricing_group_keys
            }
            order by filter_keys_count desc, filter_values_count asc, charge_filter_position asc
        ) filter (where charge_filter_id is not null) as charge_filters,
        max(pricing_group_keys) filter (where charge_filter_id is null) as charge_group_keys
    from usage_filters
    group by 1
),

events_in_home_periods as (
    select
        events.*,
        charge_periods.charge_id,
        charge_periods.aggregation_type,
        charge_periods.is_recurring,
        charge_periods.charge_period_id as home_charge_period_id,
        charge_periods.charge_period_id as bucket_charge_period_id
    from events
    inner join charge_periods
        on
            events.billing_period_id = charge_periods.billing_period_id
            and events.code = charge_periods.billable_metric_code
),

history_events_outside_charge_periods as (
    -- for a charge reading history, the events sent while the subscription
    -- was on another plan
    select
        history_events.*,
        history_reading_charges.charge_id,
        history_reading_charges.aggregation_type,
        history_reading_charges.is_recurring
    from history_events
    inner join history_reading_charges
        on
            history_events.external_subscription_id = history_reading_charges.external_subscription_id
            and history_events.code = history_reading_charges.billable_metric_code
    left join charge_periods as own_charge_periods
        on
            history_events.billing_period_id = own_charge_periods.billing_period_id
            and history_reading_charges.charge_id = own_charge_periods.charge_id
    where own_charge_periods.charge_period_id is null
),

history_events_in_later_periods as (
    select
        history_events_outside_charge_periods.*,
        cast(null as varchar) as home_charge_period_id,
        charge_periods.charge_period_id as bucket_charge_period_id,
        row_number() over (
            partition by
                history_events_outside_charge_periods.event_id,
                history_events_outside_charge_periods.charge_id
            order by charge_periods.charges_from_datetime
        ) as later_period_rank
    from history_events_outside_charge_periods
    inner join charge_periods
        on
            history_events_outside_charge_periods.external_subscription_id
            = charge_periods.external_subscription_id
            and history_events_outside_charge_periods.charge_id = charge_periods.charge_id
            and history_events_outside_charge_periods.occurred_at < charge_periods.charges_to_datetime
),

events_per_charge as (
    select * from events_in_home_periods
    union all
    select
        event_id,
        transaction_id,
        external_subscription_id,
        code,
        properties,
        occurred_at,
        received_at,
        source_file,
        source_row,
        billing_period_id,
        aggregation_property_text,
        aggregation_value,
        operation_type,
        precise_total_amount_cents,
        is_valid,
        charge_id,
        aggregation_type,
        is_recurring,
        home_charge_period_id,
        bucket_charge_period_id
    from history_events_in_later_periods
    where later_period_rank = 1
),

events_filtered as (
    select
        events_per_charge.*,
        charge_filter_lists.charge_group_keys,
        {{ first_matching_filter('events_per_charge.properties', 'charge_filter_lists.charge_filters') }}
            as matched_filter
    from events_per_charge
    inner join charge_filter_lists
        on events_per_charge.charge_id = charge_filter_lists.charge_id
),

events_assigned as (
    select
        event_id,
        charge_id,
        aggregation_type,
        is_recurring,
        home_charge_period_id,
        bucket_charge_period_id,
        matched_filter.charge_filter_id,
        {{ grouped_by_object(
            'properties',
            'case when matched_filter is null then charge_group_keys else matched_filter.pricing_group_keys end'
        ) }} as grouped_by,
        transaction_id,
        external_subscription_id,
        code,
        occurred_at,
        received_at,
        source_file,
        source_row,
        aggregation_property_text,
        aggregation_value,
        operation_type,
        precise_total_amount_cents,
        is_valid,
        {{ event_increment_stamp() }} as computed_at
    from events_filtered
)

select * from events_assigned
