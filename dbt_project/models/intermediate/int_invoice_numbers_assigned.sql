-- The number of every invoice shown in billing.invoices: the numbering of
-- int_invoices_numbered (macros/invoice_numbers.sql: Lago's per_customer or
-- per_organization sequence, in finalization order, frozen numbers kept)
-- over every invoice, the credit invoices of threshold top-ups
-- (int_threshold_top_ups_invoiced) included: Lago numbers them in the
-- customer's sequence like any other invoice. Those come out of the wallet
-- walk, which itself needs invoices resolved by number (voids, credit notes,
-- payment statuses set by hand), so the walk's inputs use
-- int_invoices_numbered, which does not know them; a customer's invoices
-- finalized after a threshold top-up's credit invoice therefore number one
-- higher here. In a nightly run they were frozen with these numbers and
-- every reference names a frozen invoice; in a backfill of one run a
-- reference to such an invoice would name another, and
-- assert_invoice_references_name_shown_numbers fails the run then.

with

invoices as (
    select
        invoice_id,
        invoice_type,
        external_customer_id,
        currency,
        issuing_date,
        billed_at,
        status,
        finalized_at
    from {{ ref('int_invoices_scheduled') }}
    union all
    select
        invoice_id,
        invoice_type,
        external_customer_id,
        currency,
        issuing_date,
        billed_at,
        status,
        finalized_at
    from {{ ref('int_threshold_top_ups_invoiced') }}
),

{{ invoice_numbering_ctes('invoices') }}

select * from invoices_numbered
