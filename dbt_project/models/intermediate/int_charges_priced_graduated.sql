-- The graduated charge model (Lago app/services/charge_models/graduated_service.rb,
-- amount_details/range_graduated_service.rb; reference
-- metering-and-pricing.md §5): the ranges are walked in order and every
-- range reached adds units_in_range x per_unit_amount + flat_amount; the walk
-- stops after the first range whose to_value is null or >= the units.
-- - units in a range: eff = min(units, to_value); eff when from_value is 0,
--   else eff - from_value + 1 (ranges 0-10, 11-20...), or eff - from_value
--   when the ranges are adjacent (every from_value is the previous to_value:
--   0-0.1, 0.1-1, 1-...);
-- - the first range is always reached, so 0 units still pay its flat_amount;
-- - unit amount = amount / units, 0 without units.
-- A prorated charge (prorated_graduated_service.rb) walks its values in order
-- (the total carried from before the period first, then the period's events,
-- int_charge_events_prorated): the running full total decides the range and
-- each value's prorated share of the units it adds in a range is priced at
-- that range's per_unit_amount (a value crossing a boundary is split in
-- proportion); the flat amounts are not prorated and are due for every range
-- up to the highest running total reached; a negative final total gives 0.
-- Amounts stay precise here; int_charges_priced rounds them once.

with

usage as (
    select
        usage_id,
        units,
        pricing_properties -> 'graduated_ranges' as ranges
    from {{ ref('int_usage_priceable') }}
    where charge_model = 'graduated'
),

prorated_values as (
    select
        int_charge_events_prorated.usage_id,
        int_charge_events_prorated.value_number,
        int_charge_events_prorated.full_value,
        int_charge_events_prorated.prorated_value
    from {{ ref('int_charge_events_prorated') }} as int_charge_events_prorated
    inner join usage
        on int_charge_events_prorated.usage_id = usage.usage_id
),

prorated_usage as (
    select distinct usage_id from prorated_values
),

{{ pricing_range_ctes('usage', ['per_unit_amount', 'flat_amount']) }},

ranges_ordered as (
    select
        *,
        lag(to_value) over (partition by usage_id order by range_index) as previous_to_value,
        row_number() over (partition by usage_id order by range_index) as range_number,
        count(*) over (partition by usage_id) as ranges_count
    from ranges_parsed
),

usage_adjacency as (
    -- Lago ChargeModels::AdjacentRanges: at least two ranges, each starting
    -- where the previous one ends
    select
        usage_id,
        max(ranges_count) >= 2
        and bool_and(range_number = 1 or from_value = coalesce(previous_to_value, 0)) as is_adjacent
    from ranges_ordered
    group by 1
),

ranges_reached as (
    select
        ranges_ordered.*,
        usage_adjacency.is_adjacent,
        case
            when ranges_ordered.to_value is not null and ranges_ordered.units >= ranges_ordered.to_value
                then ranges_ordered.to_value
            else ranges_ordered.units
        end as effective_units
    from ranges_ordered
    inner join usage_adjacency
        on ranges_ordered.usage_id = usage_adjacency.usage_id
    -- the walk goes on past a range only while its to_value is below the units
    where
        ranges_ordered.range_number = 1
        or ranges_ordered.previous_to_value < ranges_ordered.units
),

ranges_priced as (
    select
        usage_id,
        units,
        cast(
            case
                when from_value = 0 then effective_units
                when is_adjacent then effective_units - from_value
                else effective_units - from_value + 1
            end
            * per_unit_amount
            + flat_amount
            as {{ type_precise() }}
        ) as range_amount
    from ranges_reached
),

usage_priced_by_ranges as (
    select
        usage.usage_id,
        cast(coalesce(sum(ranges_priced.range_amount), 0) as {{ type_precise() }}) as precise_amount,
        case
            when usage.units = 0 then cast(0 as {{ type_precise() }})
            else {{ divide_decimal('coalesce(sum(ranges_priced.range_amount), 0)', 'usage.units') }}
        end as precise_unit_amount
    from usage
    left join ranges_priced
        on usage.usage_id = ranges_priced.usage_id
    left join prorated_usage
        on usage.usage_id = prorated_usage.usage_id
    where prorated_usage.usage_id is null
    group by usage.usage_id, usage.units
),

---------- prorated charges

values_running as (
    select
        usage_id,
        full_value,
        -- the share of each full unit actually billed
        case when full_value = 0 then 0 else {{ divide_decimal('prorated_value', 'full_value') }} end
            as prorated_ratio,
        cast(
            sum(full_value) over (
                partition by usage_id order by value_number rows between unbounded preceding and current row
            ) as {{ type_precise() }}
        ) as full_total_after
    from prorated_values
),

values_spanned as (
    -- the full units each value moves the running total across
    select
        *,
        least(full_total_after - full_value, full_total_after) as span_low,
        greatest(full_total_after - full_value, full_total_after) as span_high
    from values_running
),

range_spans as (
    -- range i holds the running totals (previous to_value, to_value]; the
    -- first range also everything at or below 0
    select
        usage_id,
        range_number,
        per_unit_amount,
        flat_amount,
        previous_to_value,
        to_value
    from ranges_ordered
),

values_priced_in_ranges as (
    select
        values_spanned.usage_id,
        values_spanned.prorated_ratio,
        range_spans.per_unit_amount,
        -- the full units the value adds (or removes) within the range
        cast(
            sign(values_spanned.full_value)
            * greatest(
                least(values_spanned.span_high, coalesce(range_spans.to_value, values_spanned.span_high))
                - greatest(
                    values_spanned.span_low,
                    case
                        when range_spans.range_number = 1 then values_spanned.span_low
                        else range_spans.previous_to_value
                    end
                ),
                0
            )
            as {{ type_precise() }}
        ) as full_units_in_range
    from values_spanned
    inner join range_spans
        on values_spanned.usage_id = range_spans.usage_id
),

values_prorated_in_ranges as (
    select
        usage_id,
        cast(
            cast(full_units_in_range * prorated_ratio as {{ type_precise() }}) * per_unit_amount
            as {{ type_precise() }}
        ) as range_amount
    from values_priced_in_ranges
),

prorated_totals as (
    select
        usage_id,
        sum(full_value) as full_total,
        greatest(max(full_total_after), 0) as highest_full_total,
        sum(cast(full_value * prorated_ratio as {{ type_precise() }})) as prorated_total
    from values_running
    group by 1
),

prorated_flat_amounts as (
    -- every range up to the one holding the highest running total
    select
        prorated_totals.usage_id,
        sum(range_spans.flat_amount) as flat_amount
    from prorated_totals
    inner join range_spans
        on prorated_totals.usage_id = range_spans.usage_id
    where
        range_spans.range_number = 1
        or range_spans.previous_to_value < prorated_totals.highest_full_total
    group by 1
),

prorated_range_amounts as (
    select
        usage_id,
        sum(range_amount) as range_amount
    from values_prorated_in_ranges
    group by 1
),

usage_priced_prorated as (
    select
        prorated_totals.usage_id,
        cast(
            case
                when prorated_totals.full_total < 0 then 0
                when prorated_totals.prorated_total = 0 then coalesce(first_range.flat_amount, 0)
                else greatest(coalesce(prorated_range_amounts.range_amount, 0), 0)
                    + coalesce(prorated_flat_amounts.flat_amount, 0)
            end
            as {{ type_precise() }}
        ) as amount,
        prorated_totals.full_total
    from prorated_totals
    left join prorated_range_amounts
        on prorated_totals.usage_id = prorated_range_amounts.usage_id
    left join prorated_flat_amounts
        on prorated_totals.usage_id = prorated_flat_amounts.usage_id
    left join range_spans as first_range
        on
            prorated_totals.usage_id = first_range.usage_id
            and first_range.range_number = 1
),

usage_priced as (
    select * from usage_priced_by_ranges
    union all
    select
        usage_id,
        amount as precise_amount,
        case
            when full_total = 0 then cast(0 as {{ type_precise() }})
            else {{ divide_decimal('amount', 'full_total') }}
        end as precise_unit_amount
    from usage_priced_prorated
)

select * from usage_priced
