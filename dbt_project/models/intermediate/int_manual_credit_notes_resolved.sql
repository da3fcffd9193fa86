-- The catalog's manual credit notes (`credit_notes`, CONTRACT §1.1) on the
-- invoices billing produced, named by number or by id. Lago:
-- app/services/credit_notes/create_service.rb,
-- app/services/credit_notes/apply_taxes_service.rb (reference/invoicing.md §5):
-- - only a finalized invoice can be credited: a note on a draft, or on an
--   invoice not issued yet, waits (it is issued when the invoice is
--   finalized, at the later of its created_at and that instant);
-- - credit_amount_cents is consumed by the customer's next finalized
--   invoices of the invoice's currency, refund_amount_cents is paid back;
-- - its items (fee, amount excluding taxes) give the breakdown as Lago's:
--   each item loses the fee's coupons in proportion, each tax of the fee
--   applies to what is left, rounded per tax. Interpretation: Lago refuses a
--   note whose credit + refund differs from that total; we keep the amounts
--   given (they are what the customer was told) and show the breakdown.

with

credit_notes as (
    select * from {{ ref('stg_raw__credit_notes') }}
),

credit_note_items as (
    select
        credit_note_external_id,
        fee_id,
        amount_cents
    from {{ ref('stg_raw__credit_note_items') }}
),

invoices as (
    select
        invoice_id,
        external_customer_id,
        currency,
        status,
        finalized_at
    from {{ ref('int_invoices_scheduled') }}
),

invoice_numbers as (
    select
        invoice_id,
        number
    from {{ ref('int_invoices_numbered') }}
),

fees as (
    select
        fee_id,
        amount_cents,
        precise_coupons_amount_cents
    from {{ ref('int_fees_taxed') }}
),

fee_taxes as (
    select
        fee_id,
        tax_code,
        tax_rate
    from {{ ref('int_fee_taxes_resolved') }}
),

credit_notes_on_invoices as (
    select
        credit_notes.*,
        invoices.invoice_id as credited_invoice_id,
        invoices.external_customer_id,
        invoices.currency,
        greatest(credit_notes.created_at, invoices.finalized_at) as issued_at
    from credit_notes
    left join invoice_numbers
        on credit_notes.invoice_number = invoice_numbers.number
    inner join invoices
        on coalesce(credit_notes.invoice_id, invoice_numbers.invoice_id) = invoices.invoice_id
    where invoices.status = 'finalized'
),

items_adjusted as (
    select
        credit_note_items.credit_note_external_id,
        credit_note_items.fee_id,
        cast(credit_note_items.amount_cents as {{ type_precise() }}) as item_amount_cents,
        coalesce(
            {{ divide_decimal(
                'fees.precise_coupons_amount_cents * credit_note_items.amount_cents',
                'fees.amount_cents'
            ) }},
            0
        ) as precise_coupons_adjustment_amount_cents
    from credit_note_items
    left join fees
        on credit_note_items.fee_id = fees.fee_id
),

items_summed as (
    select
        credit_note_external_id,
        sum(item_amount_cents) as item_amount_cents,
        sum(precise_coupons_adjustment_amount_cents) as precise_coupons_adjustment_amount_cents
    from items_adjusted
    group by 1
),

taxes_per_tax as (
    select
        items_adjusted.credit_note_external_id,
        fee_taxes.tax_code,
        round(sum(
            cast(
                (items_adjusted.item_amount_cents - items_adjusted.precise_coupons_adjustment_amount_cents)
                * fee_taxes.tax_rate as {{ type_precise() }}
            ) * cast(0.01 as decimal(3, 2))
        ), 0) as taxes_amount_cents
    from items_adjusted
    inner join fee_taxes
        on items_adjusted.fee_id = fee_taxes.fee_id
    group by 1, 2
),

taxes_summed as (
    select
        credit_note_external_id,
        cast(sum(taxes_amount_cents) as bigint) as taxes_amount_cents
    from taxes_per_tax
    group by 1
),

manual_credit_notes as (
    select
        {{ surrogate_key(["'manual_credit_note'", 'credit_notes_on_invoices.credit_note_external_id']) }}
            as credit_note_id,
        credit_notes_on_invoices.credit_note_external_id,
        credit_notes_on_invoices.credited_invoice_id as invoice_id,
        credit_notes_on_invoices.external_customer_id,
        credit_notes_on_invoices.currency,
        credit_notes_on_invoices.issued_at,
        credit_notes_on_invoices.reason,
        cast(round(coalesce(items_summed.precise_coupons_adjustment_amount_cents, 0), 0) as bigint)
            as coupons_adjustment_amount_cents,
        coalesce(taxes_summed.taxes_amount_cents, 0) as taxes_amount_cents,
        credit_notes_on_invoices.credit_amount_cents + credit_notes_on_invoices.refund_amount_cents
            as total_amount_cents,
        credit_notes_on_invoices.credit_amount_cents,
        credit_notes_on_invoices.refund_amount_cents
    from credit_notes_on_invoices
    left join items_summed
        on credit_notes_on_invoices.credit_note_external_id = items_summed.credit_note_external_id
    left join taxes_summed
        on credit_notes_on_invoices.credit_note_external_id = taxes_summed.credit_note_external_id
)

select * from manual_credit_notes
