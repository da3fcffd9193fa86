-- Invoice collections per issuing month, currency and payment status: Lago's
-- v1 definition (app/models/analytics/invoice_collection.rb,
-- reference/analytics.md §2.4), the count and total_amount_cents of finalized
-- invoices. The payment status is the invoice's status as of the run, not at
-- the end of that month, so past months change as invoices get paid. Lago's
-- empty months (a row with a null status) are left out.

with

invoices as (
    select
        currency,
        payment_status,
        issuing_date,
        total_amount_cents
    from {{ ref('invoices') }}
    where status = 'finalized'
),

collections_aggregated as (
    select
        cast({{ dbt.date_trunc('month', 'issuing_date') }} as date) as month,
        currency,
        payment_status,
        count(*) as invoices_count,
        cast(sum(total_amount_cents) as bigint) as amount_cents
    from invoices
    group by 1, 2, 3
),

final as (
    select
        {{ surrogate_key(['month', 'currency', 'payment_status']) }} as invoice_collection_id,
        month,
        currency,
        payment_status,
        invoices_count,
        amount_cents
    from collections_aggregated
)

select * from final
