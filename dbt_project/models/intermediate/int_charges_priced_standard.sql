-- The standard charge model: amount = units x properties.amount (a decimal
-- string in major units); unit amount = amount / units, i.e. the price, or 0
-- without units (Lago app/services/charge_models/standard_service.rb).
-- Amounts stay precise here; int_charges_priced rounds them once.

with

usage as (
    select
        usage_id,
        units,
        pricing_properties
    from {{ ref('int_usage_aggregated') }}
    where charge_model = 'standard'
),

usage_with_price as (
    select
        usage_id,
        units,
        cast({{ json_text('pricing_properties', "'amount'") }} as {{ type_precise() }}) as unit_price
    from usage
),

usage_priced as (
    select
        usage_id,
        cast(units * unit_price as {{ type_precise() }}) as precise_amount,
        case
            when units = 0 then cast(0 as {{ type_precise() }})
            else unit_price
        end as precise_unit_amount
    from usage_with_price
)

select * from usage_priced
