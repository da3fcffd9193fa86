-- The volume charge model (Lago app/services/charge_models/volume_service.rb;
-- reference metering-and-pricing.md §5): one range prices every unit, the
-- first by from_value with from_value <= ceil(units) and (to_value null or
-- units <= to_value), so with ranges 0-100 and 101-200 the value 100.5 falls
-- in 101-200; amount = units x per_unit_amount + flat_amount (0 units still
-- pay the first range's flat_amount); unit amount = amount / units, 0
-- without units. A usage no range matches (a catalog gap) is priced 0.
-- A prorated charge picks the range with its full units and prices its
-- prorated units (int_charge_events_prorated); the flat amount is not
-- prorated (198.6 prorated of 300 -> 198.6 x 0.5 + 50 in Lago's spec).
-- Amounts stay precise here; int_charges_priced rounds them once.

with

usage_aggregated as (
    select
        usage_id,
        units,
        pricing_properties -> 'volume_ranges' as ranges
    from {{ ref('int_usage_aggregated') }}
    where charge_model = 'volume'
),

prorated_units as (
    select
        usage_id,
        {{ ceil_to_5_decimals('sum(prorated_value)') }} as prorated_units
    from {{ ref('int_charge_events_prorated') }}
    group by 1
),

usage as (
    select
        usage_aggregated.*,
        coalesce(prorated_units.prorated_units, usage_aggregated.units) as priced_units
    from usage_aggregated
    left join prorated_units
        on usage_aggregated.usage_id = prorated_units.usage_id
),

{{ pricing_range_ctes('usage', ['per_unit_amount', 'flat_amount']) }},

ranges_matching as (
    select
        *,
        row_number() over (partition by usage_id order by from_value, range_index) as match_rank
    from ranges_parsed
    where
        from_value <= ceil(units)
        and (to_value is null or units <= to_value)
),

usage_priced as (
    select
        usage.usage_id,
        cast(
            coalesce(usage.priced_units * ranges_matching.per_unit_amount + ranges_matching.flat_amount, 0)
            as {{ type_precise() }}
        ) as precise_amount,
        case
            when usage.units = 0 or ranges_matching.usage_id is null then cast(0 as {{ type_precise() }})
            else {{ divide_decimal(
                'usage.priced_units * ranges_matching.per_unit_amount + ranges_matching.flat_amount',
                'usage.units'
            ) }}
        end as precise_unit_amount
    from usage
    left join ranges_matching
        on
            usage.usage_id = ranges_matching.usage_id
            and ranges_matching.match_rank = 1
)

select * from usage_priced
