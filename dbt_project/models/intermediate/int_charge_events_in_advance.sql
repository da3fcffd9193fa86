-- Every event a pay-in-advance charge bills on receipt, one row per event x
-- charge, with the units the charge model prices before and after it (Lago
-- Fees::CreatePayInAdvanceService, Charges::ApplyPayInAdvanceChargeModelService;
-- reference metering-and-pricing.md §6). Only count, sum and unique count
-- metrics can be paid in advance (BillableMetric::AGGREGATION_TYPES_PAYABLE_IN_ADVANCE).
--
-- Each event moves a running total of its bucket (charge filter x pricing
-- group): +1 for a count, its value for a sum, and for a unique count +1 when
-- it adds a value not active, -1 when it removes an active one, 0 otherwise
-- (a unique-count event that changes nothing gets no fee, as in Lago). The
-- running total is the period's for a non-recurring metric, all history for a
-- recurring one.
-- Lago caches the highest total of the period (CachedAggregation max): an event
-- pays only for what lifts the total above it (in_advance_units), so a
-- negative event is never refunded and climbing back to an earlier high is
-- free (aggregations/sum_service.rb, unique_count_service.rb
-- #compute_pay_in_advance_aggregation). The high starts at the total carried
-- into the period: 0 without recurrence; for a recurring metric the level the
-- period invoice bills in full.
-- - units_before: the high before the event, what "without the event" prices
--   (what the events so far have paid for);
-- - units_after: the high with the event (units_before + in_advance_units),
--   what "all events" prices: an event that does not lift the high pays 0,
--   and the price of the period's first event includes what a total of 0
--   costs (a graduated first range's flat amount), so it is paid once;
-- - fee_units: the units the fee shows: in_advance_units when it lifts the
--   high, else the event's own increase, never negative (Lago's units_applied).
-- Events are ordered by timestamp, then as received.

with

in_advance_charges as (
    select charges.charge_id
    from {{ ref('stg_raw__charges') }} as charges
    inner join {{ ref('stg_raw__billable_metrics') }} as billable_metrics
        on charges.billable_metric_code = billable_metrics.billable_metric_code
    where {{ is_billed_per_event(
        'charges.is_pay_in_advance', 'billable_metrics.aggregation_type', 'charges.charge_model'
    ) }}
),

events as (
    select
        events_assigned.event_id,
        events_assigned.charge_id,
        events_assigned.aggregation_type,
        events_assigned.is_recurring,
        events_assigned.home_charge_period_id,
        events_assigned.charge_filter_id,
        events_assigned.grouped_by,
        events_assigned.external_subscription_id,
        events_assigned.transaction_id,
        events_assigned.occurred_at,
        events_assigned.received_at,
        events_assigned.source_file,
        events_assigned.source_row,
        events_assigned.aggregation_property_text,
        events_assigned.aggregation_value,
        events_assigned.operation_type,
        -- the event's own price in minor units (dynamic model)
        {{ usable_decimal('events_assigned.precise_total_amount_cents') }} as precise_total_amount_cents,
        -- the running total's scope: the period, or all history when recurring
        case
            when events_assigned.is_recurring
                then events_assigned.external_subscription_id || '|' || events_assigned.charge_id
            else events_assigned.home_charge_period_id
        end as running_scope
    from {{ ref('int_usage_events_assigned') }} as events_assigned
    inner join in_advance_charges
        on events_assigned.charge_id = in_advance_charges.charge_id
    where
        events_assigned.is_valid
),

events_with_previous_operation as (
    select
        *,
        -- unique count: the value's last operation before this event
        case
            when aggregation_type = 'unique_count_agg'
                then lag(operation_type) over (
                    partition by running_scope, charge_filter_id, grouped_by, aggregation_property_text
                    order by occurred_at, received_at, source_file, source_row
                )
        end as previous_operation_type
    from events
),

events_with_delta as (
    select
        *,
        cast(
            case aggregation_type
                when 'count_agg' then 1
                when 'sum_agg' then aggregation_value
                else
                    case
                        when operation_type = 'add' and previous_operation_type is distinct from 'add' then 1
                        when operation_type = 'remove' and previous_operation_type = 'add' then -1
                        else 0
                    end
            end
            as {{ type_precise() }}
        ) as delta
    from events_with_previous_operation
),

events_running as (
    select
        *,
        cast(
            sum(delta) over (
                partition by running_scope, charge_filter_id, grouped_by
                order by occurred_at, received_at, source_file, source_row
                rows between unbounded preceding and current row
            ) as {{ type_precise() }}
        ) as running_total
    from events_with_delta
),

period_events as (
    -- the events of a period of the charge (history before the charge's own
    -- periods only carries the level in)
    select
        *,
        first_value(running_total - delta) over (
            partition by home_charge_period_id, charge_filter_id, grouped_by
            order by occurred_at, received_at, source_file, source_row
        ) as period_start_total,
        max(running_total) over (
            partition by home_charge_period_id, charge_filter_id, grouped_by
            order by occurred_at, received_at, source_file, source_row
            rows between unbounded preceding and 1 preceding
        ) as previous_period_high,
        row_number() over (
            partition by home_charge_period_id, charge_filter_id, grouped_by
            order by occurred_at, received_at, source_file, source_row
        ) as event_number
    from events_running
    where home_charge_period_id is not null
),

events_with_high as (
    select
        *,
        greatest(
            case when is_recurring then period_start_total else 0 end,
            coalesce(previous_period_high, case when is_recurring then period_start_total else 0 end)
        ) as high_before
    from period_events
    -- a unique-count event that changes nothing gets no fee
    where not (aggregation_type = 'unique_count_agg' and delta = 0)
),

usage as (
    select
        usage_id,
        charge_period_id,
        charge_filter_id,
        grouped_by
    from {{ ref('int_usage_aggregated') }}
),

events_in_advance as (
    select
        usage.usage_id,
        event_id,
        charge_id,
        events_with_high.home_charge_period_id as charge_period_id,
        events_with_high.charge_filter_id,
        events_with_high.grouped_by,
        external_subscription_id,
        transaction_id,
        occurred_at,
        received_at,
        aggregation_type,
        is_recurring,
        event_number,
        delta as event_value,
        precise_total_amount_cents,
        cast(greatest(running_total, high_before) as {{ type_precise() }}) as units_after,
        cast(high_before as {{ type_precise() }}) as units_before,
        cast(greatest(running_total - high_before, 0) as {{ type_precise() }}) as in_advance_units,
        cast(
            case
                when running_total > high_before then running_total - high_before
                else greatest(delta, 0)
            end
            as {{ type_precise() }}
        ) as fee_units
    from events_with_high
    -- the usage row (period x bucket x group) the event is aggregated in
    inner join usage
        on
            events_with_high.home_charge_period_id = usage.charge_period_id
            and events_with_high.charge_filter_id is not distinct from usage.charge_filter_id
            and events_with_high.grouped_by = usage.grouped_by
)

select * from events_in_advance
