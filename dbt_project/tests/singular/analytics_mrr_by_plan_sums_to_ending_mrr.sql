-- Invariant 7 of reference/analytics.md §7.3, both ways: per currency and
-- month, the plans' MRR adds up to mrr_movements.ending_mrr_cents, and the
-- customers' MRR in customer_mrr adds up to it too. Returns what differs.
{{ config(meta={'dagster': {'ref': {'name': 'mrr_movements'}}}) }}

with

movements as (
    select
        currency,
        month,
        ending_mrr_cents
    from {{ ref('mrr_movements') }}
),

plans as (
    select
        currency,
        month,
        sum(mrr_cents) as mrr_cents
    from {{ ref('mrr_by_plan') }}
    group by 1, 2
),

customers as (
    select
        currency,
        month,
        sum(mrr_cents) as mrr_cents
    from {{ ref('customer_mrr') }}
    group by 1, 2
),

compared as (
    select
        movements.currency,
        movements.month,
        movements.ending_mrr_cents,
        coalesce(plans.mrr_cents, 0) as plans_mrr_cents,
        coalesce(customers.mrr_cents, 0) as customers_mrr_cents
    from movements
    left join plans
        on movements.currency = plans.currency
        and movements.month = plans.month
    left join customers
        on movements.currency = customers.currency
        and movements.month = customers.month
),

plans_without_movements as (
    select
        plans.currency,
        plans.month,
        cast(null as {{ type_precise() }}) as ending_mrr_cents,
        plans.mrr_cents as plans_mrr_cents,
        cast(null as {{ type_precise() }}) as customers_mrr_cents
    from plans
    left join movements
        on plans.currency = movements.currency
        and plans.month = movements.month
    where movements.month is null and plans.mrr_cents > 0
),

mismatches as (
    select *
    from compared
    where
        plans_mrr_cents <> ending_mrr_cents
        or customers_mrr_cents <> ending_mrr_cents
    union all
    select * from plans_without_movements
)

select * from mismatches
