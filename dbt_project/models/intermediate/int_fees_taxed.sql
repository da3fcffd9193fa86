-- Every fee line with its taxes (int_fee_taxes_resolved), Lago
-- app/services/fees/apply_taxes_service.rb: taxes_rate is the sum of the
-- rates of its taxes; taxes_precise_amount_cents their unrounded sum on the
-- amount after coupons; taxes_amount_cents that sum rounded once, half away
-- from zero. A fee without taxes has 0 of both.

with

fees as (
    select * from {{ ref('int_fees_discounted') }}
),

fee_taxes as (
    select
        fee_id,
        tax_rate,
        precise_amount_cents
    from {{ ref('int_fee_taxes_resolved') }}
),

taxes_per_fee as (
    select
        fee_id,
        cast(sum(tax_rate) as {{ type_precise() }}) as taxes_rate,
        cast(sum(precise_amount_cents) as {{ type_precise() }}) as taxes_precise_amount_cents
    from fee_taxes
    group by 1
),

fees_taxed as (
    select
        fees.*,
        {{ tax_total_columns('taxes_per_fee') }}
    from fees
    left join taxes_per_fee
        on fees.fee_id = taxes_per_fee.fee_id
)

select * from fees_taxed
