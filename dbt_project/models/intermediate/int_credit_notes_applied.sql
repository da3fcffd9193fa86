-- How much of the customer's credit notes (int_credit_notes_computed) each
-- finalized subscription invoice consumes. Lago:
-- app/services/credits/credit_note_service.rb (reference invoicing.md §1, §5):
-- on finalization an invoice consumes the customer's credit notes of its
-- currency issued by then, oldest first, each up to what remains of the
-- invoice's tax-inclusive total; a draft consumes none (finalizing it does).
-- The balance left carries over to the next invoices, so with T the totals of
-- the invoices in the order they are finalized (S their running sum) and C
-- the credit issued by each one, the credit consumed up to invoice k is
-- S_k + min(0, min over j <= k of (C_j - S_j)): a running minimum, no loop.
-- TODO(Invoice assembly): coupons and taxes (the totals here are the fees),
-- one billing.credits row per credit note consumed.

with

invoice_subscriptions as (
    select
        invoice_id,
        external_customer_id,
        currency,
        issuing_date,
        billed_at
    from {{ ref('int_invoice_subscriptions_assembled') }}
),

fees as (
    select
        invoice_id,
        amount_cents
    from {{ ref('int_fees_assembled') }}
),

customers as (
    select
        external_customer_id,
        invoice_grace_period_days
    from {{ ref('int_customers_resolved') }}
),

credit_notes as (
    select
        external_customer_id,
        currency,
        issued_at,
        amount_cents
    from {{ ref('int_credit_notes_computed') }}
),

invoices as (
    select
        invoice_id,
        external_customer_id,
        currency,
        min(issuing_date) as issuing_date,
        min(billed_at) as billed_at
    from invoice_subscriptions
    group by 1, 2, 3
),

invoices_finalized as (
    select
        invoices.*,
        coalesce(sum(fees.amount_cents), 0) as total_before_credit_notes_cents
    from invoices
    left join customers
        on invoices.external_customer_id = customers.external_customer_id
    left join fees
        on invoices.invoice_id = fees.invoice_id
    where
        {{ invoice_finalizes_at('invoices.issuing_date', 'coalesce(customers.invoice_grace_period_days, 0)') }}
        <= {{ billing_as_of() }}
    group by 1, 2, 3, 4, 5
),

invoices_with_credit_issued as (
    -- the credit issued to the customer by the time each invoice is made
    select
        invoices_finalized.invoice_id,
        invoices_finalized.external_customer_id,
        invoices_finalized.currency,
        invoices_finalized.billed_at,
        greatest(invoices_finalized.total_before_credit_notes_cents, 0) as total_cents,
        coalesce(sum(credit_notes.amount_cents), 0) as credit_issued_cents
    from invoices_finalized
    left join credit_notes
        on
            invoices_finalized.external_customer_id = credit_notes.external_customer_id
            and invoices_finalized.currency = credit_notes.currency
            and credit_notes.issued_at <= invoices_finalized.billed_at
    group by 1, 2, 3, 4, 5
),

invoices_running as (
    select
        *,
        sum(total_cents) over customer_invoices as running_total_cents
    from invoices_with_credit_issued
    window customer_invoices as (
        partition by external_customer_id, currency
        order by billed_at, invoice_id
        rows between unbounded preceding and current row
    )
),

credit_consumed as (
    select
        *,
        running_total_cents + least(
            0,
            min(credit_issued_cents - running_total_cents) over (
                partition by external_customer_id, currency
                order by billed_at, invoice_id
                rows between unbounded preceding and current row
            )
        ) as consumed_up_to_cents
    from invoices_running
),

credit_per_invoice as (
    select
        invoice_id,
        cast(
            consumed_up_to_cents - coalesce(
                lag(consumed_up_to_cents) over (
                    partition by external_customer_id, currency order by billed_at, invoice_id
                ),
                0
            ) as bigint
        ) as credit_notes_amount_cents
    from credit_consumed
)

select * from credit_per_invoice
