-- The standard charge model: amount = units x properties.amount (a decimal
-- string in major units); unit amount = amount / units, i.e. the price, or 0
-- without units (Lago app/services/charge_models/standard_service.rb).
-- A prorated charge prices its prorated units (int_charge_events_prorated,
-- summed and rounded up to 5 decimals as Lago's prorated aggregation) and
-- divides by the full units for the unit amount.
-- Amounts stay precise here; int_charges_priced rounds them once.

with

usage as (
    select
        usage_id,
        units,
        pricing_properties
    from {{ ref('int_usage_priceable') }}
    where charge_model = 'standard'
),

prorated_units as (
    select
        usage_id,
        {{ ceil_to_5_decimals('sum(prorated_value)') }} as prorated_units
    from {{ ref('int_charge_events_prorated') }}
    group by 1
),

usage_with_price as (
    select
        usage.usage_id,
        usage.units,
        coalesce(prorated_units.prorated_units, usage.units) as priced_units,
        cast({{ json_text('usage.pricing_properties', "'amount'") }} as {{ type_precise() }}) as unit_price
    from usage
    left join prorated_units
        on usage.usage_id = prorated_units.usage_id
),

usage_priced as (
    select
        usage_id,
        cast(priced_units * unit_price as {{ type_precise() }}) as precise_amount,
        case
            when units = 0 then cast(0 as {{ type_precise() }})
            else {{ divide_decimal('priced_units * unit_price', 'units') }}
        end as precise_unit_amount
    from usage_with_price
)

select * from usage_priced
