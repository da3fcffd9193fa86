-- What is overdue as of the run, per month of the payment due date and
-- currency: Lago's v1 definition (app/models/analytics/overdue_balance.rb,
-- reference/analytics.md §2.5) with Lago's payment_overdue flag computed as
-- of as_of instead of read from a flag a clock job sets: a finalized invoice
-- that is not paid (payment_status pending or failed), owes something and
-- whose payment_due_date is before the day of as_of (due on day D, overdue
-- from D + 1). The amount is the whole total_amount_cents: billing.invoices
-- has no partial payments (Lago subtracts total_paid_amount_cents).

with

invoices as (
    select
        currency,
        payment_due_date,
        total_amount_cents
    from {{ ref('invoices') }}
    where
        status = 'finalized'
        and payment_status <> 'succeeded'
        and total_amount_cents > 0
        and payment_due_date < cast({{ billing_as_of() }} as date)
),

overdue_aggregated as (
    select
        cast({{ dbt.date_trunc('month', 'payment_due_date') }} as date) as month,
        currency,
        cast(sum(total_amount_cents) as bigint) as amount_cents,
        count(*) as invoices_count,
        min(payment_due_date) as oldest_payment_due_date
    from invoices
    group by 1, 2
),

final as (
    select
        {{ surrogate_key(['month', 'currency']) }} as overdue_balance_id,
        month,
        currency,
        amount_cents,
        invoices_count,
        oldest_payment_due_date,
        {{ billing_as_of() }} as as_of_at
    from overdue_aggregated
)

select * from final
