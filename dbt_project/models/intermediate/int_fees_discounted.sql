-- Every fee line with the coupons spread on it (int_coupon_credits_computed):
-- precise_coupons_amount_cents is the sum of its shares of each coupon
-- credit of its invoice, in cents with 5 decimals as Lago keeps
-- fees.precise_coupons_amount_cents, never above the fee's amount_cents
-- (reference/invoicing.md §2). Fees of drafts and one-off invoices have none.

with

fees as (
    select * from {{ ref('int_fees_assembled') }}
),

coupon_credits as (
    select
        fee_ids,
        fee_increments
    from {{ ref('int_coupon_credits_computed') }}
),

coupon_shares as (
    select
        unnest(fee_ids) as fee_id,
        unnest(fee_increments) as precise_coupons_amount_cents
    from coupon_credits
),

coupon_shares_per_fee as (
    select
        fee_id,
        cast(sum(precise_coupons_amount_cents) as {{ type_precise() }}) as precise_coupons_amount_cents
    from coupon_shares
    group by 1
),

fees_discounted as (
    select
        fees.*,
        coalesce(
            coupon_shares_per_fee.precise_coupons_amount_cents, cast(0 as {{ type_precise() }})
        ) as precise_coupons_amount_cents
    from fees
    left join coupon_shares_per_fee
        on fees.fee_id = coupon_shares_per_fee.fee_id
)

select * from fees_discounted
