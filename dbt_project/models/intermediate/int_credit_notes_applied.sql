-- How much of each credit note each finalized subscription invoice consumes
-- (one row per invoice and credit note it uses). Lago:
-- app/services/credits/credit_note_service.rb (reference invoicing.md §1, §5):
-- on finalization an invoice consumes the customer's credit notes of its
-- currency issued by then, oldest first, each up to what remains of the
-- invoice's tax-inclusive sub-total (after coupons and taxes,
-- int_invoices_taxed); a draft consumes none (finalizing it does).
-- The balance left carries over to the next invoices, so with T the totals of
-- the invoices in the order they are finalized (S their running sum) and I
-- the credit issued by each one's finalization, the credit consumed up to
-- invoice k is C_k = S_k + min(0, min over j <= k of (I_j - S_j)): a running
-- minimum, no loop. Oldest first, invoice k takes the slice [C_(k-1), C_k)
-- of the notes laid end to end in the order they were issued, so each note's
-- share is the overlap of its own slice with the invoice's.

with

invoices as (
    select
        invoice_id,
        external_customer_id,
        currency,
        finalizing_at,
        finalization_rank,
        sub_total_including_taxes_amount_cents
    from {{ ref('int_invoices_taxed') }}
    where status = 'finalized' and invoice_type in ('subscription', 'advance_charges')
),

credit_notes as (
    select
        credit_note_id,
        external_customer_id,
        currency,
        issued_at,
        credit_amount_cents
    from {{ ref('int_credit_notes_resolved') }}
    where credit_amount_cents > 0
),

credit_notes_laid_out as (
    select
        *,
        sum(credit_amount_cents) over customer_notes - credit_amount_cents as slice_from_cents,
        sum(credit_amount_cents) over customer_notes as slice_to_cents
    from credit_notes
    window customer_notes as (
        partition by external_customer_id, currency
        order by issued_at, credit_note_id
        rows between unbounded preceding and current row
    )
),

invoices_with_credit_issued as (
    -- the credit issued to the customer by the time each invoice is finalized
    select
        invoices.invoice_id,
        invoices.external_customer_id,
        invoices.currency,
        invoices.finalization_rank,
        greatest(invoices.sub_total_including_taxes_amount_cents, 0) as total_cents,
        coalesce(sum(credit_notes.credit_amount_cents), 0) as credit_issued_cents
    from invoices
    left join credit_notes
        on
            invoices.external_customer_id = credit_notes.external_customer_id
            and invoices.currency = credit_notes.currency
            and credit_notes.issued_at <= invoices.finalizing_at
    group by 1, 2, 3, 4, 5
),

invoices_running as (
    select
        *,
        sum(total_cents) over customer_invoices as running_total_cents
    from invoices_with_credit_issued
    window customer_invoices as (
        partition by external_customer_id, currency
        order by finalization_rank
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
                order by finalization_rank
                rows between unbounded preceding and current row
            )
        ) as consumed_up_to_cents
    from invoices_running
),

invoice_slices as (
    select
        invoice_id,
        external_customer_id,
        currency,
        coalesce(
            lag(consumed_up_to_cents) over (
                partition by external_customer_id, currency order by finalization_rank
            ),
            0
        ) as slice_from_cents,
        consumed_up_to_cents as slice_to_cents
    from credit_consumed
),

credit_note_uses as (
    select
        {{ surrogate_key(['invoice_slices.invoice_id', 'credit_notes_laid_out.credit_note_id']) }}
            as credit_note_use_id,
        invoice_slices.invoice_id,
        credit_notes_laid_out.credit_note_id,
        invoice_slices.external_customer_id,
        invoice_slices.currency,
        cast(
            least(invoice_slices.slice_to_cents, credit_notes_laid_out.slice_to_cents)
            - greatest(invoice_slices.slice_from_cents, credit_notes_laid_out.slice_from_cents)
            as bigint
        ) as amount_cents
    from invoice_slices
    inner join credit_notes_laid_out
        on
            invoice_slices.external_customer_id = credit_notes_laid_out.external_customer_id
            and invoice_slices.currency = credit_notes_laid_out.currency
            and invoice_slices.slice_from_cents < credit_notes_laid_out.slice_to_cents
            and credit_notes_laid_out.slice_from_cents < invoice_slices.slice_to_cents
)

select * from credit_note_uses
