-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql): a run
-- rewrites the rows of open invoices, and of frozen ones only their status and
-- payment_status when these changed.
{{ config(**frozen_mart_config(mutable=true)) }}

with

invoices as (
    select * from {{ ref('int_invoices_assembled') }}
),

payment_status_updates as (
    -- Lago PUT /invoices/:id payment_status: the latest update known by as_of
    -- (assert_payment_status_updates_name_finalized_invoices fails the run on an
    -- update naming no finalized invoice)
    select
        invoice_number,
        payment_status,
        updated_at
    from {{ ref('stg_raw__payment_status_updates') }}
    where updated_at < {{ billing_as_of() }}
    qualify row_number() over (partition by invoice_number order by updated_at desc) = 1
),

provider_payment_statuses as (
    -- the latest outcome of a payment provider (the payments assets' ledger;
    -- they also write it through to this table after pushing)
    select
        invoice_id,
        payment_status,
        updated_at
    from {{ ref('stg_payments__invoice_payment_status') }}
),

voids as (
    select
        invoice_id,
        voided_at
    from {{ ref('int_invoice_voids_resolved') }}
    where is_applied
),

invoice_numbers as (
    select
        invoice_id,
        number,
        sequential_id
    from {{ ref('int_invoice_numbers_assigned') }}
),

final as (
    select
        invoices.invoice_id,
        invoice_numbers.number,
        invoice_numbers.sequential_id,
        invoices.external_customer_id,
        invoices.invoice_type,
        case when voids.invoice_id is not null then 'voided' else invoices.status end as status,
        -- a finalized invoice: the later of the status set by hand and the
        -- provider's outcome (the one set by hand on a tie), else the computed one
        case
            when invoices.status <> 'finalized' then invoices.payment_status
            when
                provider_payment_statuses.invoice_id is not null
                and (
                    payment_status_updates.invoice_number is null
                    or provider_payment_statuses.updated_at > payment_status_updates.updated_at
                )
                then provider_payment_statuses.payment_status
            else coalesce(payment_status_updates.payment_status, invoices.payment_status)
        end as payment_status,
        invoices.currency,
        invoices.issuing_date,
        invoices.payment_due_date,
        invoices.net_payment_term_days,
        invoices.invoice_grace_period_days,
        invoices.fees_count,
        invoices.fees_amount_cents,
        invoices.coupons_amount_cents,
        invoices.sub_total_excluding_taxes_amount_cents,
        invoices.taxes_amount_cents,
        invoices.taxes_rate,
        invoices.sub_total_including_taxes_amount_cents,
        invoices.credit_notes_amount_cents,
        invoices.prepaid_credit_amount_cents,
        invoices.total_amount_cents,
        invoices.finalized_at
    from invoices
    inner join invoice_numbers
        on invoices.invoice_id = invoice_numbers.invoice_id
    left join payment_status_updates
        on invoice_numbers.number = payment_status_updates.invoice_number
    left join provider_payment_statuses
        on invoices.invoice_id = provider_payment_statuses.invoice_id
    left join voids
        on invoices.invoice_id = voids.invoice_id
)

{{ ledger_mart_rows('final', mutable_columns=['status', 'payment_status']) }}
