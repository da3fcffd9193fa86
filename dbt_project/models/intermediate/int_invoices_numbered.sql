-- Invoice numbers, assigned as Lago does only to finalized invoices, in the
-- order they were finalized (Invoice#ensure_number, app/models/invoice.rb;
-- reference/invoicing.md §7); drafts show <prefix>-DRAFT.
-- - per_customer (default): <prefix>-<customer number %03d>-<invoice number
--   of the customer %03d>; a customer's number is its rank by first finalized
--   invoice (the catalog has no customer creation order).
-- - per_organization: <prefix>-<YYYYMM of finalization>-<invoice number of
--   the organization %03d>, a counter that never resets.
-- Finalization order is (finalized_at, issuing_date, billed_at, type,
-- currency, id), billed_at ordering the invoices of one day as they were made:
-- an invoice finalized later always sorts after those already numbered, so a
-- later run never renumbers a finalized invoice. Invoices already frozen in
-- the ledger (macros/ledger.sql) keep the number they were frozen with and
-- every other one sorts after them, so an invoice a backfill adds before
-- frozen ones takes the next number instead of shifting theirs.

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
),

{{ invoice_numbering_ctes('invoices') }}

select * from invoices_numbered
