-- MRR of each customer in each currency at each month end, and how it moved
-- since the month before. Lago's current MRR (plan prices normalised to a
-- month, before discounts and tax, usage excluded) summed per customer; the
-- month's net change is classified once per customer, as the dbt MRR playbook
-- does (reference/analytics.md §7.3): new, reactivation (tested before
-- expansion, unlike fivetran/dbt_stripe), churn, expansion, contraction.

with

subscription_months as (
    select
        external_customer_id,
        currency,
        month,
        mrr_cents
    from {{ ref('int_mrr_subscription_months_expanded') }}
),

months as (
    select month
    from {{ ref('int_analytics_months_generated') }}
),

customer_months_with_subscriptions as (
    select
        external_customer_id,
        currency,
        month,
        sum(mrr_cents) as mrr_cents,
        count(*) as subscriptions_count
    from subscription_months
    group by 1, 2, 3
),

customer_first_months as (
    select
        external_customer_id,
        currency,
        min(month) as first_month
    from customer_months_with_subscriptions
    group by 1, 2
),

customer_months_spined as (
    -- every month from the customer's first one, so the month after its last
    -- active month exists and can carry the churn
    select
        customer_first_months.external_customer_id,
        customer_first_months.currency,
        months.month,
        coalesce(customer_months_with_subscriptions.mrr_cents, 0) as mrr_cents,
        coalesce(customer_months_with_subscriptions.subscriptions_count, 0) as subscriptions_count
    from customer_first_months
    inner join months
        on customer_first_months.first_month <= months.month
    left join customer_months_with_subscriptions
        on customer_first_months.external_customer_id = customer_months_with_subscriptions.external_customer_id
        and customer_first_months.currency = customer_months_with_subscriptions.currency
        and months.month = customer_months_with_subscriptions.month
),

customer_months_lagged as (
    select
        external_customer_id,
        currency,
        month,
        mrr_cents,
        subscriptions_count,
        coalesce(
            lag(mrr_cents) over (partition by external_customer_id, currency order by month),
            0
        ) as previous_mrr_cents,
        coalesce(
            max(mrr_cents) over (
                partition by external_customer_id, currency
                order by month
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) > 0 as had_mrr_before
    from customer_months_spined
),

customer_months_classified as (
    select
        {{ surrogate_key(['external_customer_id', 'currency', 'month']) }} as customer_mrr_id,
        external_customer_id,
        currency,
        month,
        mrr_cents,
        previous_mrr_cents,
        mrr_cents - previous_mrr_cents as mrr_change_cents,
        case
            when previous_mrr_cents = 0 and mrr_cents > 0 and not had_mrr_before then 'new'
            -- a returning customer: its own category, tested before expansion
            when previous_mrr_cents = 0 and mrr_cents > 0 then 'reactivation'
            when previous_mrr_cents > 0 and mrr_cents = 0 then 'churn'
            when mrr_cents > previous_mrr_cents then 'expansion'
            when mrr_cents < previous_mrr_cents then 'contraction'
        end as change_category,
        subscriptions_count
    from customer_months_lagged
),

final as (
    select *
    from customer_months_classified
    -- active months and the month of a churn; months with no MRR either side
    -- (a gap after churn) are left out
    where mrr_cents > 0 or previous_mrr_cents > 0
)

select * from final
