-- Invariant 3 of reference/analytics.md §7.3: a month's ending MRR is the next
-- month's starting MRR, per currency, and no month is skipped between a
-- currency's first and last row. Returns the month pairs that break it.
{{ config(meta={'dagster': {'ref': {'name': 'mrr_movements'}}}) }}

with

movements as (
    select
        currency,
        month,
        starting_mrr_cents,
        ending_mrr_cents
    from {{ ref('mrr_movements') }}
),

movements_with_next as (
    select
        currency,
        month,
        ending_mrr_cents,
        lead(month) over (partition by currency order by month) as next_month,
        lead(starting_mrr_cents) over (partition by currency order by month) as next_starting_mrr_cents
    from movements
),

breaks as (
    select *
    from movements_with_next
    where
        next_month is not null
        and (
            next_month <> cast({{ dbt.dateadd('month', 1, 'month') }} as date)
            or next_starting_mrr_cents <> ending_mrr_cents
        )
),

first_months_not_starting_at_zero as (
    -- a currency's first month starts from nothing
    select
        currency,
        month,
        ending_mrr_cents,
        cast(null as date) as next_month,
        starting_mrr_cents as next_starting_mrr_cents
    from movements
    where
        starting_mrr_cents <> 0
        and month = (
            select min(first_month.month)
            from movements as first_month
            where first_month.currency = movements.currency
        )
),

final as (
    select * from breaks
    union all
    select * from first_months_not_starting_at_zero
)

select * from final
