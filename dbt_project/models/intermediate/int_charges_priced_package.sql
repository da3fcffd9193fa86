-- The package charge model (Lago app/services/charge_models/package_service.rb;
-- reference metering-and-pricing.md §5): paid units = units - free_units;
-- none when negative, else ceil(paid units / package_size) packages at
-- `amount` each (a started package is billed in full); unit amount = amount /
-- paid units (not / units: 1300 / 121 = 10.74 in Lago's spec), 0 without
-- paid units. Amounts stay precise here; int_charges_priced rounds them once.

with

usage as (
    select
        usage_id,
        units,
        {{ json_decimal('pricing_properties', "'amount'") }} as package_amount,
        coalesce({{ json_decimal('pricing_properties', "'free_units'") }}, 0) as free_units,
        {{ json_decimal('pricing_properties', "'package_size'") }} as package_size
    from {{ ref('int_usage_priceable') }}
    where charge_model = 'package'
),

usage_packaged as (
    select
        usage_id,
        package_amount,
        cast(units - free_units as {{ type_precise() }}) as paid_units,
        package_size
    from usage
),

usage_priced as (
    select
        usage_id,
        case
            when paid_units < 0 then cast(0 as {{ type_precise() }})
            else cast(
                ceil({{ divide_decimal('paid_units', 'package_size') }}) * package_amount
                as {{ type_precise() }}
            )
        end as precise_amount,
        case
            when paid_units <= 0 then cast(0 as {{ type_precise() }})
            else {{ divide_decimal(
                'ceil(' ~ divide_decimal('paid_units', 'package_size') ~ ') * package_amount',
                'paid_units'
            ) }}
        end as precise_unit_amount
    from usage_packaged
)

select * from usage_priced
