{#- Invoice numbers, as Lago assigns them (Invoice#ensure_number,
    app/models/invoice.rb; reference/invoicing.md §7), for the invoices of the
    CTE named `invoices` (invoice_id, invoice_type, external_customer_id,
    currency, issuing_date, billed_at, status, finalized_at). Its CTEs follow
    that one; the last is `invoices_numbered`. Used twice:
    int_invoices_numbered numbers the invoices known before the wallet walk
    (references by number resolve there), int_invoice_numbers_assigned every
    invoice, threshold top-ups' credit invoices included. -#}
{% macro invoice_numbering_ctes(invoices) -%}
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
        invoices.invoice_id,
        invoices.invoice_type,
        invoices.external_customer_id,
        invoices.currency,
        invoices.issuing_date,
        invoices.billed_at,
        invoices.finalized_at,
        frozen_numbers.invoice_id is null as is_new
    from {{ invoices }} as invoices
    left join frozen_numbers
        on invoices.invoice_id = frozen_numbers.invoice_id
    where invoices.status = 'finalized'
    union all
    -- a frozen invoice this numbering does not list (a threshold top-up's
    -- credit invoice, numbered downstream of the wallet walk) still holds
    -- its number: count it, so no later invoice takes that number again
    select
        register.invoice_id,
        cast(null as varchar) as invoice_type,
        register.external_customer_id,
        register.currency,
        register.issuing_date,
        cast(null as timestamp) as billed_at,
        register.finalized_at,
        false as is_new
    from {{ ledger_register() }} as register
    where register.invoice_id not in (select listed.invoice_id from {{ invoices }} as listed)
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
        invoices.status = 'finalized' as is_finalized,
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
    from {{ invoices }} as invoices
    cross join organizations
    left join invoices_sequenced
        on invoices.invoice_id = invoices_sequenced.invoice_id
    left join customers_sequenced
        on invoices_sequenced.external_customer_id = customers_sequenced.external_customer_id
    left join frozen_numbers
        on invoices.invoice_id = frozen_numbers.invoice_id
)
{%- endmacro %}
