-- One row per event of a metric in the charge period it falls in, for every
-- charge of its plan on that metric, with the usage row (charge x filter x
-- group x period) it is aggregated in: what charge models that price single
-- events read (percentage free units and per-transaction min/max, dynamic
-- prices). Events the metric's own checks exclude from its value (missing or
-- non-numeric aggregation property, invalid filter value; also in
-- billing.event_errors) are here with is_valid false, and no usage_id when
-- no valid event shares their filter and group.
-- A recurring metric's usage row also counts the history before its period;
-- only the period's own events are listed here.
{{ config(materialized='view') }}

with

events_assigned as (
    select
        event_id,
        charge_id,
        home_charge_period_id,
        charge_filter_id,
        grouped_by,
        external_subscription_id,
        code,
        transaction_id,
        occurred_at,
        received_at,
        aggregation_value,
        precise_total_amount_cents,
        is_valid
    from {{ ref('int_usage_events_assigned') }}
    where home_charge_period_id is not null
),

usage as (
    select
        usage_id,
        charge_period_id,
        charge_filter_id,
        grouped_by
    from {{ ref('int_usage_aggregated') }}
),

events_valued as (
    select
        usage.usage_id,
        events_assigned.event_id,
        events_assigned.charge_id,
        events_assigned.home_charge_period_id as charge_period_id,
        events_assigned.charge_filter_id,
        events_assigned.grouped_by,
        events_assigned.external_subscription_id,
        events_assigned.code,
        events_assigned.transaction_id,
        events_assigned.occurred_at as "timestamp",
        events_assigned.received_at,
        -- the metric field's number (null for count and unique count metrics)
        events_assigned.aggregation_value as value,
        -- the event's own price in minor units (dynamic model); null when
        -- absent or not a plain decimal
        {{ usable_decimal('events_assigned.precise_total_amount_cents') }} as precise_total_amount_cents,
        events_assigned.is_valid
    from events_assigned
    left join usage
        on
            events_assigned.home_charge_period_id = usage.charge_period_id
            and events_assigned.charge_filter_id is not distinct from usage.charge_filter_id
            and events_assigned.grouped_by = usage.grouped_by
)

select * from events_valued
