-- Gross revenue per issuing month and currency: Lago's v1 definition
-- (app/models/analytics/gross_revenue.rb, reference/analytics.md §2.1), the
-- total_amount_cents of finalized invoices (after coupons, credit notes and
-- prepaid credits, tax included), dated by issuing_date. Draft and voided
-- invoices are left out. Lago also adds the pay-in-advance fees no invoice
-- carries (a charge that is not invoiceable), amount_cents before tax, by the
-- day they are made, counting no invoice. Not done: Lago subtracts the refunds
-- credit notes make on those invoices.

with

invoices as (
    select
        currency,
        issuing_date,
        total_amount_cents,
        1 as invoices_count
    from {{ ref('invoices') }}
    where status = 'finalized'
),

fees_without_invoice as (
    select
        currency,
        issuing_date,
        amount_cents as total_amount_cents,
        0 as invoices_count
    from {{ ref('fees') }}
    where invoice_id is null and pay_in_advance
),

revenue_items as (
    select * from invoices
    union all
    select * from fees_without_invoice
),

revenue_aggregated as (
    select
        cast({{ dbt.date_trunc('month', 'issuing_date') }} as date) as month,
        currency,
        cast(sum(total_amount_cents) as bigint) as amount_cents,
        cast(sum(invoices_count) as bigint) as invoices_count
    from revenue_items
    group by 1, 2
),

final as (
    select
        {{ surrogate_key(['month', 'currency']) }} as gross_revenue_id,
        month,
        currency,
        amount_cents,
        invoices_count
    from revenue_aggregated
)

select * from final
