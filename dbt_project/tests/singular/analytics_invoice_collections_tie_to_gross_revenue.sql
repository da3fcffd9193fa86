-- Every finalized invoice has one payment status, so per issuing month and
-- currency the collections over all statuses add up to gross revenue (the
-- same invoices, the same total_amount_cents), once the pay-in-advance fees
-- gross revenue counts without an invoice are added. Returns what differs.
{{ config(meta={'dagster': {'ref': {'name': 'invoice_collections'}}}) }}

with

collections as (
    select
        month,
        currency,
        sum(amount_cents) as amount_cents,
        sum(invoices_count) as invoices_count
    from (
        select month, currency, amount_cents, invoices_count
        from {{ ref('invoice_collections') }}
        union all
        select
            cast({{ dbt.date_trunc('month', 'issuing_date') }} as date) as month,
            currency,
            amount_cents,
            0 as invoices_count
        from {{ ref('fees') }}
        where invoice_id is null and pay_in_advance
    ) as collected
    group by 1, 2
),

gross_revenue as (
    select
        month,
        currency,
        amount_cents,
        invoices_count
    from {{ ref('gross_revenue') }}
),

compared as (
    select
        coalesce(collections.month, gross_revenue.month) as month,
        coalesce(collections.currency, gross_revenue.currency) as currency,
        collections.amount_cents as collections_amount_cents,
        gross_revenue.amount_cents as gross_revenue_amount_cents,
        collections.invoices_count as collections_invoices_count,
        gross_revenue.invoices_count as gross_revenue_invoices_count
    from collections
    full outer join gross_revenue
        on collections.month = gross_revenue.month
        and collections.currency = gross_revenue.currency
),

mismatches as (
    select *
    from compared
    where not coalesce(
        collections_amount_cents = gross_revenue_amount_cents
        and collections_invoices_count = gross_revenue_invoices_count,
        false
    )
)

select * from mismatches
