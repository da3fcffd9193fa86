-- MRR movements per month and currency (Lago's Data API `mrrs` rows,
-- reference/analytics.md §3): starting MRR (the previous month end) + new +
-- expansion + reactivation + contraction + churned = ending MRR (this month
-- end).
-- Movements are disjoint and signed: contraction and churned are negative;
-- expansion excludes reactivation (Lago's own mrr_expansion includes it).
-- Each is the sum of customer_mrr's net monthly change per category.

with

customer_months as (
    select
        currency,
        month,
        mrr_cents,
        previous_mrr_cents,
        mrr_change_cents,
        change_category
    from {{ ref('customer_mrr') }}
),

months as (
    select month
    from {{ ref('int_analytics_months_generated') }}
),

currency_first_months as (
    select
        currency,
        min(month) as first_month
    from customer_months
    group by 1
),

movements_aggregated as (
    select
        currency,
        month,
        sum(previous_mrr_cents) as starting_mrr_cents,
        sum(case when change_category = 'new' then mrr_change_cents else 0 end) as new_mrr_cents,
        sum(case when change_category = 'expansion' then mrr_change_cents else 0 end)
            as expansion_mrr_cents,
        sum(case when change_category = 'reactivation' then mrr_change_cents else 0 end)
            as reactivation_mrr_cents,
        sum(case when change_category = 'contraction' then mrr_change_cents else 0 end)
            as contraction_mrr_cents,
        sum(case when change_category = 'churn' then mrr_change_cents else 0 end)
            as churned_mrr_cents,
        sum(mrr_cents) as ending_mrr_cents,
        count(case when mrr_cents > 0 then 1 end) as active_customers,
        count(case when change_category = 'new' then 1 end) as new_customers,
        count(case when change_category = 'reactivation' then 1 end) as reactivated_customers,
        count(case when change_category = 'churn' then 1 end) as churned_customers
    from customer_months
    group by 1, 2
),

currency_months_spined as (
    -- every month from the currency's first, so a month where every customer
    -- is gone still has its row and ending(m) = starting(m + 1) holds
    select
        currency_first_months.currency,
        months.month
    from currency_first_months
    inner join months
        on currency_first_months.first_month <= months.month
),

final as (
    select
        {{ surrogate_key(['currency_months_spined.month', 'currency_months_spined.currency']) }}
            as mrr_movement_id,
        currency_months_spined.month,
        currency_months_spined.currency,
        coalesce(movements_aggregated.starting_mrr_cents, 0) as starting_mrr_cents,
        coalesce(movements_aggregated.new_mrr_cents, 0) as new_mrr_cents,
        coalesce(movements_aggregated.expansion_mrr_cents, 0) as expansion_mrr_cents,
        coalesce(movements_aggregated.reactivation_mrr_cents, 0) as reactivation_mrr_cents,
        coalesce(movements_aggregated.contraction_mrr_cents, 0) as contraction_mrr_cents,
        coalesce(movements_aggregated.churned_mrr_cents, 0) as churned_mrr_cents,
        coalesce(movements_aggregated.ending_mrr_cents, 0) as ending_mrr_cents,
        coalesce(movements_aggregated.ending_mrr_cents, 0)
        - coalesce(movements_aggregated.starting_mrr_cents, 0) as mrr_change_cents,
        coalesce(movements_aggregated.active_customers, 0) as active_customers,
        coalesce(movements_aggregated.new_customers, 0) as new_customers,
        coalesce(movements_aggregated.reactivated_customers, 0) as reactivated_customers,
        coalesce(movements_aggregated.churned_customers, 0) as churned_customers
    from currency_months_spined
    left join movements_aggregated
        on currency_months_spined.currency = movements_aggregated.currency
        and currency_months_spined.month = movements_aggregated.month
)

select * from final
