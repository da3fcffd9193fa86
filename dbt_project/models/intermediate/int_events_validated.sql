-- Every known event, placed in the billing period of its subscription that
-- contains its timestamp, or given the reason it cannot be billed (CONTRACT
-- §1.2 error codes), first failing check wins:
--   duplicate_transaction_id     a later duplicate (int_events_deduplicated)
--   unknown_subscription         no subscription has its external id
--   unknown_metric_code          no billable metric has its code
--   outside_subscription_period  its timestamp is in no period of any version
--                                of the subscription (before the start, after
--                                a termination, at or after a last period end)
--   missing_aggregation_property the metric's field_name is absent
--   invalid_aggregation_property not a plain decimal where a number is needed
--                                (reference/metering-and-pricing.md §1)
--   invalid_filter_value         a property named by one of the metric's filter
--                                keys holds a value the metric does not list
--   late_for_finalized_invoice   received once the invoice billing its period
--                                was finalized: never billed (DESIGN.md)
-- The three metric checks (missing/invalid aggregation property, invalid
-- filter value) keep the event's period: int_usage_events_valued shows such an
-- event beside its usage row with is_valid false, as it is excluded from the
-- metric's value (Lago's numeric_condition drops it from both value and count).
-- Periods are half-open: an event at exactly the end belongs to the next one,
-- except the instant a version ends inside a period (termination, ending_at,
-- upgrade), which is its last period's: Lago's charges period ends at
-- terminated_at and its event queries include the end (Event.to_datetime:
-- timestamp <= to_datetime; Subscriptions::DatesService#charges_to_datetime).
-- When a successor starts at that instant (an upgrade), the ending version
-- keeps the event and the successor does not bill it again (DECISIONLOG.md).
-- An event timestamped at or after as_of is left for a later run (its period
-- does not exist yet), unless it is already known to be a duplicate.

-- Incremental (macros/event_increments.sql): a run classifies again only the
-- keys deduplication ranked again, and those of an external id whose
-- subscriptions or periods changed.

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ event_increment_prepare('validated', ref('int_events_deduplicated')) }}",
    post_hook="{{ event_increment_record('validated') }}",
) }}

-- depends_on: {{ ref('int_event_days_summarized') }}

{#- Billable, or excluded by the metric's own checks only. -#}
{%- set is_in_usage_row -%}
    (
        error_code is null
        or error_code in (
            'missing_aggregation_property', 'invalid_aggregation_property', 'invalid_filter_value'
        )
    )
{%- endset %}

with

events as (
    select * exclude (computed_at)
    from {{ event_increment_input('validated', ref('int_events_deduplicated')) }} as deduplicated
    where is_duplicate or occurred_at < {{ billing_as_of() }}
),

subscriptions as (
    select
        subscription_id,
        external_subscription_id,
        created_at
    from {{ ref('int_subscriptions_resolved') }}
),

billing_periods as (
    select
        billing_period_id,
        subscription_id,
        external_subscription_id,
        charges_from_datetime,
        charges_to_datetime,
        full_charges_to_datetime,
        charges_issuing_date,
        charges_invoice_finalizes_at
    from {{ ref('int_billing_periods_generated') }}
),

billable_metrics as (
    select
        billable_metric_code,
        aggregation_type,
        field_name
    from {{ ref('stg_raw__billable_metrics') }}
),

billable_metric_filters as (
    select
        billable_metric_code,
        filter_key,
        filter_values
    from {{ ref('stg_raw__billable_metric_filters') }}
),

billing_periods_windowed as (
    -- the instants whose events a period takes, half-open [from, events_to):
    -- its end is exclusive at a period boundary, inclusive at the instant its
    -- version ended inside the period (Lago: charges_to_datetime is then
    -- terminated_at, and events are read with timestamp <= to_datetime). Event
    -- timestamps have microsecond resolution, so [from, end] is [from, end + 1 us)
    select
        *,
        charges_to_datetime < full_charges_to_datetime as has_inclusive_end,
        case
            when charges_to_datetime < full_charges_to_datetime
                then {{ dbt.dateadd('microsecond', 1, 'charges_to_datetime') }}
            else charges_to_datetime
        end as events_to_datetime
    from billing_periods
),

known_subscription_ids as (
    select distinct external_subscription_id
    from subscriptions
),

period_bounds as (
    select
        external_subscription_id,
        charges_from_datetime as bound_at
    from billing_periods_windowed
    union
    select
        external_subscription_id,
        events_to_datetime as bound_at
    from billing_periods_windowed
),

period_segments as (
    -- the external id's time cut at every period bound, so that each segment
    -- lies inside whole periods only
    select
        external_subscription_id,
        bound_at as segment_from,
        lead(bound_at) over (
            partition by external_subscription_id order by bound_at
        ) as segment_to
    from period_bounds
),

period_segments_ranked as (
    -- the instant a version ends inside a period is that version's, even when
    -- another one starts then (an upgrade: Lago terminates the old version
    -- before it starts the new one, so terminated_at <= started_at and an
    -- event at that instant is the old version's); otherwise, when versions
    -- of one external id overlap, the most recently created one takes the
    -- events (int_subscriptions_resolved makes plan changes follow each other)
    select
        period_segments.external_subscription_id,
        period_segments.segment_from,
        period_segments.segment_to,
        billing_periods_windowed.billing_period_id,
        billing_periods_windowed.subscription_id,
        billing_periods_windowed.charges_issuing_date,
        billing_periods_windowed.charges_invoice_finalizes_at,
        row_number() over (
            partition by period_segments.external_subscription_id, period_segments.segment_from
            order by
                (
                    billing_periods_windowed.has_inclusive_end
                    and period_segments.segment_from = billing_periods_windowed.charges_to_datetime
                ) desc,
                subscriptions.created_at desc,
                subscriptions.subscription_id
        ) as owner_rank
    from period_segments
    inner join billing_periods_windowed
        on
            period_segments.external_subscription_id = billing_periods_windowed.external_subscription_id
            and period_segments.segment_from >= billing_periods_windowed.charges_from_datetime
            and period_segments.segment_to <= billing_periods_windowed.events_to_datetime
    inner join subscriptions
        on billing_periods_windowed.subscription_id = subscriptions.subscription_id
),

period_segments_owned as (
    select * from period_segments_ranked
    where owner_rank = 1
),

billable_metric_filter_lists as (
    -- each metric's filter keys with the values it lists
    select
        billable_metric_code,
        list({
            'filter_key': filter_key,
            'filter_values': {{ json_string_list('filter_values') }}
        }) as metric_filters
    from billable_metric_filters
    group by 1
),

events_joined as (
    -- one pass over the events: every lookup is a small table (at most one
    -- period segment contains a timestamp)
    select
        events.*,
        known_subscription_ids.external_subscription_id is not null as is_subscription_known,
        billable_metrics.billable_metric_code,
        billable_metrics.aggregation_type,
        billable_metrics.field_name,
        {{ json_text('events.properties', 'billable_metrics.field_name') }} as aggregation_property_text,
        period_segments_owned.billing_period_id,
        period_segments_owned.subscription_id,
        period_segments_owned.charges_issuing_date,
        period_segments_owned.charges_invoice_finalizes_at,
        -- a filter value the metric does not list (Lago compares the text,
        -- ChargeFilters::EventMatchingService; its events.errors check
        -- has_valid_filter_values flags the same events)
        {{ first_unlisted_filter_value('events.properties', 'billable_metric_filter_lists.metric_filters') }}
            as invalid_filter
    from events
    left join known_subscription_ids
        on events.external_subscription_id = known_subscription_ids.external_subscription_id
    left join billable_metrics
        on events.code = billable_metrics.billable_metric_code
    left join billable_metric_filter_lists
        on events.code = billable_metric_filter_lists.billable_metric_code
    left join period_segments_owned
        on
            not events.is_duplicate
            and events.external_subscription_id = period_segments_owned.external_subscription_id
            and events.occurred_at >= period_segments_owned.segment_from
            and events.occurred_at < period_segments_owned.segment_to
),

events_classified as (
    select
        *,
        case
            when is_duplicate then 'duplicate_transaction_id'
            when not is_subscription_known then 'unknown_subscription'
            when billable_metric_code is null then 'unknown_metric_code'
            when billing_period_id is null then 'outside_subscription_period'
            when aggregation_type <> 'count_agg' and aggregation_property_text is null
                then 'missing_aggregation_property'
            when
                aggregation_type in ('sum_agg', 'max_agg', 'latest_agg', 'weighted_sum_agg')
                and not {{ is_usable_decimal('aggregation_property_text') }}
                then 'invalid_aggregation_property'
            when invalid_filter is not null then 'invalid_filter_value'
            when received_at >= charges_invoice_finalizes_at then 'late_for_finalized_invoice'
        end as error_code
    from events_joined
),

events_explained as (
    select
        event_id,
        transaction_id,
        external_subscription_id,
        external_customer_id,
        code,
        precise_total_amount_cents,
        source_file,
        source_row,
        properties,
        event_date,
        occurred_at,
        received_at,
        -- billable events keep their period, and so do those the metric's own
        -- checks exclude from its value
        case when {{ is_in_usage_row }} then subscription_id end as subscription_id,
        case when {{ is_in_usage_row }} then billing_period_id end as billing_period_id,
        aggregation_type,
        case when error_code is null then aggregation_property_text end as aggregation_property_text,
        -- the number of a numeric aggregation (null for count and unique count)
        case
            when
                error_code is null
                and aggregation_type in ('sum_agg', 'max_agg', 'latest_agg', 'weighted_sum_agg')
                then {{ usable_decimal('aggregation_property_text') }}
        end as aggregation_value,
        -- unique_count_agg: anything but 'add' acts as a remove, as in Lago's
        -- unique count query (CASE WHEN operation_type = 'add' ... ELSE)
        case
            when error_code is null and aggregation_type = 'unique_count_agg'
                then coalesce({{ json_text('properties', "'operation_type'") }}, 'add')
        end as operation_type,
        error_code,
        case error_code
            when 'duplicate_transaction_id' then
                'Transaction ' || transaction_id || ' of subscription '
                || external_subscription_id || ' was already received at '
                || cast(first_received_at as varchar) || ' (' || first_source_file
                || ' row ' || cast(first_source_row as varchar)
                || '); only the first one received is billed.'
            when 'unknown_subscription' then
                'No subscription has external_id ' || external_subscription_id || '.'
            when 'unknown_metric_code' then
                'No billable metric has code ' || coalesce(code, '(none)') || '.'
            when 'outside_subscription_period' then
                'Timestamp ' || cast(occurred_at as varchar)
                || ' is outside every billing period of subscription '
                || external_subscription_id
                || ' (before its start, at or after the end of a period with no next one,'
                || ' or after its termination).'
            when 'missing_aggregation_property' then
                'Property ' || coalesce(field_name, '(no field_name)') || ' required by the '
                || aggregation_type || ' metric ' || code || ' is missing.'
            when 'invalid_aggregation_property' then
                'Property ' || field_name || ' of metric ' || code || ' is '
                || aggregation_property_text
                || ', not a plain decimal number of at most 20 integer digits.'
            when 'invalid_filter_value' then
                'Filter property ' || invalid_filter || ' of metric ' || code
                || ' is not one of the values the metric lists for that key.'
            when 'late_for_finalized_invoice' then
                'Received at ' || cast(received_at as varchar)
                || ', after the invoice issued on ' || cast(charges_issuing_date as varchar)
                || ' for its period was finalized at '
                || cast(charges_invoice_finalizes_at as varchar) || '; it is not billed.'
        end as error_details,
        {{ event_increment_stamp() }} as computed_at
    from events_classified
)

select * from events_explained
