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

organizations as (
    select
        document_numbering,
        document_number_prefix
    from {{ ref('stg_raw__organizations') }}
),

frozen_numbers as (
    select
        invoice_id,
        number
    from {{ ledger_register() }}
),

finalized_invoices as (
    select
        invoices.*,
        frozen_numbers.invoice_id is null as is_new
    from invoices
    left join frozen_numbers
        on invoices.invoice_id = frozen_numbers.invoice_id
    where invoices.status = 'finalized'
),

customers_first_finalized as (
    select
        external_customer_id,
        bool_and(is_new) as is_new,
        min(finalized_at) as first_finalized_at
    from finalized_invoices
    group by 1
),

customers_sequenced as (
    select
        external_customer_id,
        row_number() over (
            order by is_new, first_finalized_at, external_customer_id
        ) as customer_sequential_id
    from customers_first_finalized
),

invoices_sequenced as (
    select
        invoice_id,
        external_customer_id,
        finalized_at,
        row_number() over (
            partition by external_customer_id
            order by is_new, finalized_at, issuing_date, billed_at, invoice_type, currency, invoice_id
        ) as sequential_id,
        row_number() over (
            order by is_new, finalized_at, external_customer_id, issuing_date, billed_at, invoice_type, currency, invoice_id
        ) as organization_sequential_id
    from finalized_invoices
),

invoices_numbered as (
    select
        invoices.invoice_id,
        invoices_sequenced.sequential_id,
        invoices_sequenced.organization_sequential_id,
        case
            when frozen_numbers.number is not null
                then frozen_numbers.number
            when invoices_sequenced.invoice_id is null
                then organizations.document_number_prefix || '-DRAFT'
            when organizations.document_numbering = 'per_organization'
                then organizations.document_number_prefix || '-'
                || cast(
                    extract(year from invoices_sequenced.finalized_at) * 100
                    + extract(month from invoices_sequenced.finalized_at)
                    as varchar
                )
                || '-' || {{ zero_pad('invoices_sequenced.organization_sequential_id', 3) }}
            else organizations.document_number_prefix
                || '-' || {{ zero_pad('customers_sequenced.customer_sequential_id', 3) }}
                || '-' || {{ zero_pad('invoices_sequenced.sequential_id', 3) }}
        end as number
    from invoices
    cross join organizations
    left join invoices_sequenced
        on invoices.invoice_id = invoices_sequenced.invoice_id
    left join customers_sequenced
        on invoices_sequenced.external_customer_id = customers_sequenced.external_customer_id
    left join frozen_numbers
        on invoices.invoice_id = frozen_numbers.invoice_id
)

select * from invoices_numbered
