-- The graduated percentage charge model (Lago
-- app/services/charge_models/graduated_percentage_service.rb,
-- amount_details/range_graduated_percentage_service.rb; reference
-- metering-and-pricing.md §5): the same walk as graduated, each range reached
-- adding units_in_range x rate / 100 + flat_amount, with Lago's own unit
-- counting and no adjacent variant:
-- - a range the units pass (to_value <= units): to_value - max(from_value, 1) + 1
--   (Lago writes `to - (from.zero? ? 1 : from) + 1`);
-- - the range the units end in: units when from_value is 0, else
--   units - from_value + 1;
-- - 0 units still pay the first range's flat_amount.
-- Lago gates the model behind a premium licence; we always apply it.
-- Amounts stay precise here; int_charges_priced rounds them once.

with

usage as (
    select
        usage_id,
        units,
        pricing_properties -> 'graduated_percentage_ranges' as ranges
    from {{ ref('int_usage_priceable') }}
    where charge_model = 'graduated_percentage'
),

{{ pricing_range_ctes('usage', ['rate', 'flat_amount']) }},

ranges_ordered as (
    select
        *,
        -- rate is a percent: 1.3 means 1.3 %
        {{ divide_decimal('rate', 100) }} as rate_fraction,
        lag(to_value) over (partition by usage_id order by range_index) as previous_to_value,
        row_number() over (partition by usage_id order by range_index) as range_number
    from ranges_parsed
),

ranges_reached as (
    -- the walk goes on past a range only while its to_value is below the units
    select * from ranges_ordered
    where
        range_number = 1
        or previous_to_value < units
),

ranges_priced as (
    select
        usage_id,
        cast(
            case
                when to_value is not null and units >= to_value
                    then to_value - (case when from_value = 0 then 1 else from_value end) + 1
                when from_value = 0 then units
                else units - from_value + 1
            end
            * rate_fraction
            + flat_amount
            as {{ type_precise() }}
        ) as range_amount
    from ranges_reached
),

usage_priced as (
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
    group by usage.usage_id, usage.units
)

select * from usage_priced
