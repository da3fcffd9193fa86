-- The percentage charge model (Lago app/services/charge_models/percentage_service.rb,
-- running totals from aggregations/sum_service.rb#running_total; reference
-- metering-and-pricing.md §5). rate is a percent ("1.3" = 1.3 %).
--
-- Without per-transaction min/max:
--   amount = max(0, units - free units) x rate + paying events x fixed_amount
-- from the running totals (cumulative sums of the events in timestamp order):
-- - with free_units_per_events = N: the first N running totals; else with
--   free_units_per_total_aggregation = T: running totals while the total
--   before the event is <= T (so the event crossing T is included); else none;
-- - free units: 0 when the last running total L is 0; the N-th running total
--   when N is below their count; L when T is 0 or L <= T; else T;
-- - free events: the smallest non-zero of N and the number of running totals
--   below T, so the event crossing T pays fixed_amount;
-- - the fixed part is 0 when the units are 0 or every event is free.
-- With per_transaction_min_amount / per_transaction_max_amount, the amount is
-- summed per event in timestamp order: while free units remain (T > 0) an
-- event whose running total stays below T is free and the one reaching T
-- pays on what exceeds it; otherwise the first N events are free; each paying
-- event pays value x rate + fixed_amount, clamped to [min, max]. No event: 0.
-- Lago applies min/max only with a premium licence; we always apply them.
-- Count-like metrics (count_agg, unique_count_agg) have running totals
-- 1, 2, ... units, i.e. events of 1 unit each.
-- unit amount = amount / units, 0 without units. Amounts stay precise here;
-- int_charges_priced rounds them once.

with

usage as (
    select
        usage_id,
        aggregation_type,
        units,
        events_count,
        {{ percentage_property_columns('pricing_properties') }}
    from {{ ref('int_usage_aggregated') }}
    where charge_model = 'percentage'
),

usage_events as (
    -- the billable events of each usage row, with the metric field's value
    select
        usage_id,
        "timestamp" as occurred_at,
        transaction_id,
        coalesce(value, 0) as event_value
    from {{ ref('int_usage_events_valued') }}
    where is_valid
),

unit_events as (
    -- count-like metrics: one event of 1 unit per unit
    select
        usage_id,
        cast(1 as {{ type_precise() }}) as event_value,
        {{ row_indexes('floor(units)') }} + 1 as event_number
    from usage
    where aggregation_type in ('count_agg', 'unique_count_agg')
),

events_numbered as (
    select
        usage_events.usage_id,
        usage_events.event_value,
        row_number() over (
            partition by usage_events.usage_id order by usage_events.occurred_at, usage_events.transaction_id
        ) as event_number
    from usage_events
    inner join usage
        on usage_events.usage_id = usage.usage_id
    where usage.aggregation_type not in ('count_agg', 'unique_count_agg')
    union all
    select
        usage_id,
        event_value,
        event_number
    from unit_events
),

events_running as (
    select
        events_numbered.usage_id,
        events_numbered.event_number,
        events_numbered.event_value,
        cast(
            sum(events_numbered.event_value) over (
                partition by events_numbered.usage_id
                order by events_numbered.event_number
                rows between unbounded preceding and current row
            ) as {{ type_precise() }}
        ) as running_total,
        usage.free_units_per_events,
        usage.free_units_per_total_aggregation
    from events_numbered
    inner join usage
        on events_numbered.usage_id = usage.usage_id
),

events_flagged as (
    select
        *,
        -- Lago's running_total list: the first N events, else the events up
        -- to and including the one crossing T
        case
            when free_units_per_events > 0 then event_number <= free_units_per_events
            when free_units_per_total_aggregation > 0
                then running_total - event_value <= free_units_per_total_aggregation
            else false
        end as is_in_running_totals,
        -- the first event whose running total reaches T (min/max path)
        min(
            case when running_total >= free_units_per_total_aggregation then event_number end
        ) over (partition by usage_id) as free_total_reached_at
    from events_running
),

running_totals_summarized as (
    select
        usage_id,
        count(*) filter (where is_in_running_totals) as running_totals_count,
        max(event_number) filter (where is_in_running_totals) as last_running_number,
        count(*) filter (
            where is_in_running_totals and running_total < free_units_per_total_aggregation
        ) as running_totals_below_free_total
    from events_flagged
    group by 1
),

running_totals_resolved as (
    select
        running_totals_summarized.usage_id,
        running_totals_summarized.running_totals_count,
        running_totals_summarized.running_totals_below_free_total,
        coalesce(last_event.running_total, 0) as last_running_total,
        nth_event.running_total as nth_running_total
    from running_totals_summarized
    left join events_flagged as last_event
        on
            running_totals_summarized.usage_id = last_event.usage_id
            and running_totals_summarized.last_running_number = last_event.event_number
    left join usage
        on running_totals_summarized.usage_id = usage.usage_id
    left join events_flagged as nth_event
        on
            running_totals_summarized.usage_id = nth_event.usage_id
            and usage.free_units_per_events = nth_event.event_number
),

usage_free_units as (
    select
        usage.*,
        case
            when coalesce(running_totals_resolved.last_running_total, 0) = 0 then 0
            when
                usage.free_units_per_events > 0
                and usage.free_units_per_events < running_totals_resolved.running_totals_count
                then running_totals_resolved.nth_running_total
            when
                usage.free_units_per_total_aggregation = 0
                or running_totals_resolved.last_running_total <= usage.free_units_per_total_aggregation
                then running_totals_resolved.last_running_total
            else usage.free_units_per_total_aggregation
        end as free_units,
        case
            when
                usage.free_units_per_events > 0
                and coalesce(running_totals_resolved.running_totals_below_free_total, 0) > 0
                then least(usage.free_units_per_events, running_totals_resolved.running_totals_below_free_total)
            when usage.free_units_per_events > 0 then usage.free_units_per_events
            else coalesce(running_totals_resolved.running_totals_below_free_total, 0)
        end as free_events
    from usage
    left join running_totals_resolved
        on usage.usage_id = running_totals_resolved.usage_id
),

events_with_min_max as (
    -- per-transaction path: what each paying event pays, clamped
    select
        events_flagged.usage_id,
        case
            when usage.free_units_per_total_aggregation > 0 then
                case
                    when
                        events_flagged.free_total_reached_at is null
                        or events_flagged.event_number < events_flagged.free_total_reached_at
                        then null
                    when events_flagged.event_number = events_flagged.free_total_reached_at
                        then events_flagged.running_total - usage.free_units_per_total_aggregation
                    else events_flagged.event_value
                end
            when events_flagged.event_number <= usage.free_units_per_events then null
            else events_flagged.event_value
        end as paying_value,
        usage.rate_fraction,
        usage.fixed_amount,
        usage.per_transaction_min_amount,
        usage.per_transaction_max_amount
    from events_flagged
    inner join usage
        on events_flagged.usage_id = usage.usage_id
    where
        usage.per_transaction_min_amount is not null
        or usage.per_transaction_max_amount is not null
),

events_min_max_priced as (
    select
        usage_id,
        cast(
            sum(
                {{ clamp_amount(
                    'paying_value * rate_fraction + fixed_amount',
                    'per_transaction_min_amount',
                    'per_transaction_max_amount'
                ) }}
            ) as {{ type_precise() }}
        ) as min_max_amount
    from events_with_min_max
    where paying_value is not null
    group by 1
),

usage_amounts as (
    select
        usage_free_units.usage_id,
        usage_free_units.units,
        case
            when
                usage_free_units.per_transaction_min_amount is not null
                or usage_free_units.per_transaction_max_amount is not null
                then coalesce(events_min_max_priced.min_max_amount, 0)
            else
                case
                    when usage_free_units.free_units > usage_free_units.units then 0
                    else (usage_free_units.units - usage_free_units.free_units) * usage_free_units.rate_fraction
                end
                + case
                    when
                        usage_free_units.units = 0
                        or usage_free_units.free_events >= usage_free_units.events_count
                        then 0
                    else (usage_free_units.events_count - usage_free_units.free_events) * usage_free_units.fixed_amount
                end
        end as amount
    from usage_free_units
    left join events_min_max_priced
        on usage_free_units.usage_id = events_min_max_priced.usage_id
),

usage_priced as (
    select
        usage_id,
        cast(amount as {{ type_precise() }}) as precise_amount,
        case
            when units = 0 then cast(0 as {{ type_precise() }})
            else {{ divide_decimal('amount', 'units') }}
        end as precise_unit_amount
    from usage_amounts
)

select * from usage_priced
