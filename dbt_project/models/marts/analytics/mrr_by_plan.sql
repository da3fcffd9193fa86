-- MRR per plan at each month end (Lago's Data API `mrrs/plans`,
-- reference/analytics.md §3): the normalised plan price of every subscription
-- active at the month end, summed per plan and currency.

with

subscription_months as (
    select
        month,
        currency,
        plan_code,
        plan_name,
        plan_interval,
        external_customer_id,
        mrr_cents
    from {{ ref('int_mrr_subscription_months_expanded') }}
),

final as (
    select
        {{ surrogate_key(['month', 'currency', 'plan_code']) }} as mrr_by_plan_id,
        month,
        currency,
        plan_code,
        plan_name,
        plan_interval,
        sum(mrr_cents) as mrr_cents,
        count(distinct external_customer_id) as active_customers,
        count(*) as subscriptions_count
    from subscription_months
    group by month, currency, plan_code, plan_name, plan_interval
)

select * from final
