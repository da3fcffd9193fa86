-- Every credit note, one row each: Lago's automatic ones on the termination
-- or upgrade of a pay-in-advance plan (int_credit_notes_computed) and the
-- manual ones of the catalog (`credit_notes`). credit_amount_cents is what
-- later invoices consume (int_credit_notes_applied); refund_amount_cents is
-- paid back (payments are not built: it is reported, never consumed).
-- number: the credited invoice's number + '-CN' + the note's rank on that
-- invoice (%03d), as Lago numbers credit notes (CreditNote#ensure_number);
-- issuing_date: the UTC date it is issued.

with

termination_credit_notes as (
    select
        credit_note_id,
        invoice_id,
        external_customer_id,
        currency,
        issued_at,
        ended_by,
        amount_cents,
        coupons_adjustment_amount_cents,
        taxes_amount_cents,
        total_amount_cents
    from {{ ref('int_credit_notes_computed') }}
),

manual_credit_notes as (
    select * from {{ ref('int_manual_credit_notes_resolved') }}
),

invoice_numbers as (
    select
        invoice_id,
        number
    from {{ ref('int_invoices_numbered') }}
),

credit_notes_unioned as (
    select
        credit_note_id,
        invoice_id,
        external_customer_id,
        currency,
        issued_at,
        case when ended_by = 'upgrade' then 'order_change' else 'order_cancellation' end as reason,
        true as is_automatic,
        amount_cents - coupons_adjustment_amount_cents as sub_total_excluding_taxes_amount_cents,
        coupons_adjustment_amount_cents,
        taxes_amount_cents,
        total_amount_cents,
        total_amount_cents as credit_amount_cents,
        cast(0 as bigint) as refund_amount_cents
    from termination_credit_notes

    union all

    select
        credit_note_id,
        invoice_id,
        external_customer_id,
        currency,
        issued_at,
        reason,
        false as is_automatic,
        total_amount_cents - taxes_amount_cents as sub_total_excluding_taxes_amount_cents,
        coupons_adjustment_amount_cents,
        taxes_amount_cents,
        total_amount_cents,
        credit_amount_cents,
        refund_amount_cents
    from manual_credit_notes
),

credit_notes_numbered as (
    select
        credit_notes_unioned.*,
        invoice_numbers.number || '-CN' || {{ zero_pad(
            'row_number() over (partition by credit_notes_unioned.invoice_id '
            ~ 'order by credit_notes_unioned.issued_at, credit_notes_unioned.credit_note_id)',
            3
        ) }} as number,
        cast(credit_notes_unioned.issued_at as date) as issuing_date
    from credit_notes_unioned
    left join invoice_numbers
        on credit_notes_unioned.invoice_id = invoice_numbers.invoice_id
)

select * from credit_notes_numbered
