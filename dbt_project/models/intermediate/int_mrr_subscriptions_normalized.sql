-- Every subscription version with its plan price normalised to a month: Lago's
-- current MRR (reference/analytics.md §3, getlago/lago-doc
-- guide/analytics/revenue/mrr.mdx) counts a subscription's plan amount, after
-- plan_overrides, as weekly x 52 / 12, monthly x 1, quarterly / 3,
-- semiannual / 6, yearly / 12. Usage charges, commitments, add-ons, coupons
-- and taxes are not part of it.

with

subscriptions as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        currency,
        plan_code,
        plan_interval,
        amount_cents,
        created_at,
        started_at,
        ended_at
    from {{ ref('int_subscriptions_resolved') }}
),

plans as (
    select
        plan_code,
        plan_name
    from {{ ref('stg_raw__plans') }}
),

versions_ended_by_their_successor as (
    -- Several catalog rows with one external_id are the history of one
    -- subscription: a later row is a plan change that replaces the earlier
    -- one (CONTRACT §1.1). A version therefore stops counting when the next
    -- one starts, so a plan change is never counted twice.
    -- TODO(Plan changes): when int_subscriptions_resolved ends replaced
    -- versions itself (downgrades at period end), this becomes a no-op.
    select
        subscription_id,
        lead(started_at) over (
            partition by external_subscription_id
            order by created_at
        ) as successor_started_at
    from subscriptions
),

final as (
    select
        subscriptions.subscription_id,
        subscriptions.external_subscription_id,
        subscriptions.external_customer_id,
        subscriptions.currency,
        subscriptions.plan_code,
        plans.plan_name,
        subscriptions.plan_interval,
        subscriptions.amount_cents,
        -- exact DECIMAL cents: a weekly or yearly price need not give whole cents
        case subscriptions.plan_interval
            when 'weekly' then {{ divide_decimal('subscriptions.amount_cents * 52', 12) }}
            when 'monthly' then cast(subscriptions.amount_cents as {{ type_precise() }})
            when 'quarterly' then {{ divide_decimal('subscriptions.amount_cents', 3) }}
            when 'semiannual' then {{ divide_decimal('subscriptions.amount_cents', 6) }}
            when 'yearly' then {{ divide_decimal('subscriptions.amount_cents', 12) }}
        end as mrr_cents,
        subscriptions.started_at,
        case
            when versions_ended_by_their_successor.successor_started_at is null
                then subscriptions.ended_at
            when subscriptions.ended_at is null
                then versions_ended_by_their_successor.successor_started_at
            else least(subscriptions.ended_at, versions_ended_by_their_successor.successor_started_at)
        end as ended_at
    from subscriptions
    inner join versions_ended_by_their_successor
        on subscriptions.subscription_id = versions_ended_by_their_successor.subscription_id
    left join plans
        on subscriptions.plan_code = plans.plan_code
)

select * from final
