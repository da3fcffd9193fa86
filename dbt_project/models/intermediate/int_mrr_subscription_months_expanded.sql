-- One row per subscription and month in which the subscription is active at
-- the month's measuring instant (int_analytics_months_generated.measured_at,
-- the month end, or as_of for the month still running). Active means started
-- before that instant and not ended before it: a subscription ended exactly
-- at a month boundary counts in the month before and not in the month that
-- starts there (CONTRACT §3). A subscription that starts and ends inside one
-- month is never active at a month end and adds no MRR (reference/analytics.md
-- §7.4, edge case E).

with

subscriptions as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        currency,
        plan_code,
        plan_name,
        plan_interval,
        mrr_cents,
        started_at,
        ended_at
    from {{ ref('int_mrr_subscriptions_normalized') }}
),

months as (
    select
        month,
        measured_at
    from {{ ref('int_analytics_months_generated') }}
),

final as (
    select
        subscriptions.subscription_id,
        months.month,
        subscriptions.external_subscription_id,
        subscriptions.external_customer_id,
        subscriptions.currency,
        subscriptions.plan_code,
        subscriptions.plan_name,
        subscriptions.plan_interval,
        subscriptions.mrr_cents
    from subscriptions
    inner join months
        on subscriptions.started_at < months.measured_at
        and (subscriptions.ended_at is null or subscriptions.ended_at >= months.measured_at)
)

select * from final
