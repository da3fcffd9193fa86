-- Every known event, placed in the billing period of its subscription that
-- contains its timestamp, or given the reason it cannot be billed (CONTRACT
-- §1.2 error codes), first failing check wins:
--   duplicate_transaction_id     a later duplicate (int_events_deduplicated)
--   unknown_subscription         no subscription has its external id
--   unknown_metric_code          no billable metric has its code
--   outside_subscription_period  its timestamp is before the start or at/after
--                                the end of every version of the subscription
--   missing_aggregation_property the metric's field_name is absent
--   invalid_aggregation_property not a plain decimal where a number is needed
--                                (reference/metering-and-pricing.md §1)
--   late_for_finalized_invoice   received once the invoice billing its period
--                                was finalized: never billed (DESIGN.md)
-- Periods are half-open: an event at exactly the end belongs to the next one.
-- An event timestamped at or after as_of is left for a later run (its period
-- does not exist yet), unless it is already known to be a duplicate.

with

events as (
    select * from {{ ref('int_events_deduplicated') }}
    where
        is_duplicate
        or occurred_at < {{ billing_as_of() }}
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

known_subscription_ids as (
    select distinct external_subscription_id
    from subscriptions
),

events_matched_to_periods as (
    -- TODO(Plan changes): when versions of one external id overlap, the most
    -- recently created one takes the event
    select
        events.event_id,
        billing_periods.billing_period_id,
        billing_periods.subscription_id,
        billing_periods.charges_issuing_date,
        billing_periods.charges_invoice_finalizes_at,
        row_number() over (
            partition by events.event_id
            order by subscriptions.created_at desc, subscriptions.subscription_id
        ) as match_rank
    from events
    inner join billing_periods
        on
            events.external_subscription_id = billing_periods.external_subscription_id
            and events.occurred_at >= billing_periods.charges_from_datetime
            and events.occurred_at < billing_periods.charges_to_datetime
    inner join subscriptions
        on billing_periods.subscription_id = subscriptions.subscription_id
    where not events.is_duplicate
),

events_joined as (
    select
        events.*,
        known_subscription_ids.external_subscription_id is not null as is_subscription_known,
        billable_metrics.billable_metric_code,
        billable_metrics.aggregation_type,
        billable_metrics.field_name,
        {{ json_text('events.properties', 'billable_metrics.field_name') }} as aggregation_property_text,
        events_matched_to_periods.billing_period_id,
        events_matched_to_periods.subscription_id,
        events_matched_to_periods.charges_issuing_date,
        events_matched_to_periods.charges_invoice_finalizes_at
    from events
    left join known_subscription_ids
        on events.external_subscription_id = known_subscription_ids.external_subscription_id
    left join billable_metrics
        on events.code = billable_metrics.billable_metric_code
    left join events_matched_to_periods
        on
            events.event_id = events_matched_to_periods.event_id
            and events_matched_to_periods.match_rank = 1
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
                and not {{ is_plain_decimal('aggregation_property_text') }}
                then 'invalid_aggregation_property'
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
        -- only billable events keep their period
        case when error_code is null then subscription_id end as subscription_id,
        case when error_code is null then billing_period_id end as billing_period_id,
        aggregation_type,
        case when error_code is null then aggregation_property_text end as aggregation_property_text,
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
                || external_subscription_id || ' (before its start or at/after its end).'
            when 'missing_aggregation_property' then
                'Property ' || coalesce(field_name, '(no field_name)') || ' required by the '
                || aggregation_type || ' metric ' || code || ' is missing.'
            when 'invalid_aggregation_property' then
                'Property ' || field_name || ' of metric ' || code || ' is '
                || aggregation_property_text || ', not a plain decimal number.'
            when 'late_for_finalized_invoice' then
                'Received at ' || cast(received_at as varchar)
                || ', after the invoice issued on ' || cast(charges_issuing_date as varchar)
                || ' for its period was finalized at '
                || cast(charges_invoice_finalizes_at as varchar) || '; it is not billed.'
        end as error_details
    from events_classified
)

select * from events_explained
