-- Each coupon applied to a customer with the terms it is applied with and
-- its place in Lago's order of application (reference/invoicing.md §4;
-- app/services/credits/applied_coupons_service.rb, app/models/applied_coupon.rb):
-- - terms: the applied coupon's amount_cents, amount_currency,
--   percentage_rate, frequency and frequency_duration, else the coupon's;
-- - targets: a coupon limited to billable metrics applies to the charge fees
--   of those metrics, one limited to plans to every fee of subscriptions on
--   those plans, any other to every fee of the invoice;
-- - order: metric-limited, then plan-limited, then unrestricted, each by
--   application date (then id, for a stable order);
-- - an application after the coupon expired (`time_limit`, `expiration_at`)
--   is refused as Lago's API refuses it; a non-reusable coupon applied twice
--   to one customer keeps its first application only.

with

applied_coupons as (
    select
        applied_coupon_id,
        external_customer_id,
        coupon_code,
        amount_cents,
        amount_currency,
        percentage_rate,
        frequency,
        frequency_duration,
        created_at
    from {{ ref('stg_raw__applied_coupons') }}
),

coupons as (
    select
        coupon_code,
        coupon_type,
        amount_cents,
        amount_currency,
        percentage_rate,
        frequency,
        frequency_duration,
        expiration,
        expiration_at,
        is_reusable
    from {{ ref('stg_raw__coupons') }}
),

coupon_targets as (
    select
        coupon_code,
        target_type,
        target_code
    from {{ ref('stg_raw__coupon_targets') }}
),

targets_listed as (
    select
        coupon_code,
        list(target_code order by target_code) filter (where target_type = 'billable_metric')
            as billable_metric_codes,
        list(target_code order by target_code) filter (where target_type = 'plan') as plan_codes
    from coupon_targets
    group by 1
),

applied_coupons_with_terms as (
    select
        applied_coupons.applied_coupon_id,
        applied_coupons.external_customer_id,
        applied_coupons.coupon_code,
        applied_coupons.created_at,
        coupons.coupon_type,
        coalesce(applied_coupons.amount_cents, coupons.amount_cents, 0) as amount_cents,
        coalesce(applied_coupons.amount_currency, coupons.amount_currency) as amount_currency,
        cast(
            coalesce(applied_coupons.percentage_rate, coupons.percentage_rate, 0)
            as {{ type_precise() }}
        ) as percentage_rate,
        coalesce(applied_coupons.frequency, coupons.frequency) as frequency,
        coalesce(applied_coupons.frequency_duration, coupons.frequency_duration, 0)
            as frequency_duration,
        coalesce(targets_listed.billable_metric_codes, []) as billable_metric_codes,
        coalesce(targets_listed.plan_codes, []) as plan_codes,
        case
            when len(coalesce(targets_listed.billable_metric_codes, [])) > 0 then 'billable_metric'
            when len(coalesce(targets_listed.plan_codes, [])) > 0 then 'plan'
        end as limited_to,
        coupons.expiration = 'time_limit'
        and coupons.expiration_at is not null
        and applied_coupons.created_at > coupons.expiration_at as is_applied_after_expiration,
        coupons.is_reusable,
        row_number() over (
            partition by applied_coupons.external_customer_id, applied_coupons.coupon_code
            order by applied_coupons.created_at, applied_coupons.applied_coupon_id
        ) as application_number
    from applied_coupons
    inner join coupons
        on applied_coupons.coupon_code = coupons.coupon_code
    left join targets_listed
        on applied_coupons.coupon_code = targets_listed.coupon_code
),

applied_coupons_kept as (
    select *
    from applied_coupons_with_terms
    where
        not is_applied_after_expiration
        and (is_reusable or application_number = 1)
),

applied_coupons_ordered as (
    select
        *,
        row_number() over (
            partition by external_customer_id
            order by
                case limited_to when 'billable_metric' then 1 when 'plan' then 2 else 3 end,
                created_at,
                applied_coupon_id
        ) as application_order
    from applied_coupons_kept
)

select
    applied_coupon_id,
    external_customer_id,
    coupon_code,
    created_at,
    coupon_type,
    amount_cents,
    amount_currency,
    percentage_rate,
    frequency,
    frequency_duration,
    limited_to,
    billable_metric_codes,
    plan_codes,
    application_order
from applied_coupons_ordered
