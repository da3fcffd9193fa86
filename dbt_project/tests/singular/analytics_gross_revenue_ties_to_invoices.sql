-- Gross revenue ties back to billing.invoices exactly: for every issuing month
-- and currency, amount_cents and invoices_count equal the finalized invoices'
-- total_amount_cents and count (plus the pay-in-advance fees recorded without
-- an invoice, which count no invoice), and no month is missing (or invented).
-- Returns the months and currencies that differ.
{{ config(meta={'dagster': {'ref': {'name': 'gross_revenue'}}}) }}

with

gross_revenue as (
    select
        month,
        currency,
        amount_cents,
        invoices_count
    from {{ ref('gross_revenue') }}
),

invoices as (
    select
        cast({{ dbt.date_trunc('month', 'issuing_date') }} as date) as month,
        currency,
        sum(amount_cents) as amount_cents,
        sum(invoices_count) as invoices_count
    from (
        select issuing_date, currency, total_amount_cents as amount_cents, 1 as invoices_count
        from {{ ref('invoices') }}
        where status = 'finalized'
        union all
        select issuing_date, currency, amount_cents, 0 as invoices_count
        from {{ ref('fees') }}
        where invoice_id is null and pay_in_advance
    ) as revenue_items
    group by 1, 2
),

compared as (
    select
        coalesce(gross_revenue.month, invoices.month) as month,
        coalesce(gross_revenue.currency, invoices.currency) as currency,
        gross_revenue.amount_cents as gross_revenue_amount_cents,
        invoices.amount_cents as invoices_amount_cents,
        gross_revenue.invoices_count as gross_revenue_invoices_count,
        invoices.invoices_count as invoices_invoices_count
    from gross_revenue
    full outer join invoices
        on gross_revenue.month = invoices.month
        and gross_revenue.currency = invoices.currency
),

mismatches as (
    select *
    from compared
    where not coalesce(
        gross_revenue_amount_cents = invoices_amount_cents
        and gross_revenue_invoices_count = invoices_invoices_count,
        false
    )
)

select * from mismatches
