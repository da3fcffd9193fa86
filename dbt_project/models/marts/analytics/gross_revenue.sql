-- Gross revenue per issuing month and currency: Lago's v1 definition
-- (app/models/analytics/gross_revenue.rb, reference/analytics.md §2.1), the
-- total_amount_cents of finalized invoices (after coupons, credit notes and
-- prepaid credits, tax included), dated by issuing_date. Draft and voided
-- invoices are left out. Lago also subtracts refunds made by credit notes and
-- adds pay-in-advance fees that are never invoiced; billing.* has neither yet
-- (every fee belongs to an invoice; credit notes arrive with their issue).

with

invoices as (
    select
        currency,
        issuing_date,
        total_amount_cents
    from {{ ref('invoices') }}
    where status = 'finalized'
),

revenue_aggregated as (
    select
        cast({{ dbt.date_trunc('month', 'issuing_date') }} as date) as month,
        currency,
        cast(sum(total_amount_cents) as bigint) as amount_cents,
        count(*) as invoices_count
    from invoices
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
