-- A void (catalog `invoice_voids`) must name an invoice Lago could void
-- (Invoice#voidable?, app/services/invoices/void_service.rb): one billing
-- produced, finalized by voided_at, not paid then (payment_status pending or
-- failed: the latest status set by hand by voided_at, else the computed one),
-- and no credit note on it by then. An invoice that consumed credit notes
-- cannot be voided here yet: Lago gives that credit back to the notes, which
-- Ratebook does not do (DECISIONLOG, Voided invoices). One row per void known
-- by as_of that breaks a rule, naming the file, the void and the field: the
-- run fails instead of ignoring it.

{{ config(store_failures=true) }}

with

voids as (
    select
        invoice_number,
        invoice_id,
        voided_at,
        finalized_at,
        source_file
    from {{ ref('int_invoice_voids_resolved') }}
),

invoices as (
    select
        invoice_id,
        payment_status,
        credit_notes_amount_cents
    from {{ ref('int_invoices_assembled') }}
),

payment_status_updates as (
    select
        invoice_number,
        payment_status,
        updated_at
    from {{ ref('stg_raw__payment_status_updates') }}
),

paid_by_hand as (
    -- the latest status set by hand by each void's voided_at
    select
        voids.invoice_number,
        payment_status_updates.payment_status
    from voids
    inner join payment_status_updates
        on
            voids.invoice_number = payment_status_updates.invoice_number
            and payment_status_updates.updated_at <= voids.voided_at
    qualify row_number() over (
        partition by voids.invoice_number order by payment_status_updates.updated_at desc
    ) = 1
),

credit_notes_on_invoice as (
    select
        invoice_id,
        min(issued_at) as first_issued_at
    from {{ ref('int_credit_notes_resolved') }}
    group by 1
),

breaches as (
    select
        voids.source_file,
        voids.invoice_number,
        case
            when voids.invoice_id is null or voids.finalized_at is null then 'invoice_number'
            when voids.finalized_at > voids.voided_at then 'voided_at'
            else 'invoice_number'
        end as field,
        case
            when voids.invoice_id is null
                then 'no invoice ' || coalesce(voids.invoice_number, '(none given)')
            when voids.finalized_at is null
                then 'invoice ' || voids.invoice_number || ' is a draft: only finalized invoices are voided'
            when voids.finalized_at > voids.voided_at
                then 'before invoice ' || voids.invoice_number || ' was finalized ('
                    || strftime(voids.finalized_at, '%Y-%m-%dT%H:%M:%S') || ')'
            when coalesce(paid_by_hand.payment_status, invoices.payment_status) = 'succeeded'
                then 'invoice ' || voids.invoice_number
                    || ' is paid (payment_status succeeded): only unpaid invoices are voided'
            when credit_notes_on_invoice.first_issued_at <= voids.voided_at
                then 'invoice ' || voids.invoice_number || ' has a credit note: it cannot be voided'
            when invoices.credit_notes_amount_cents > 0
                then 'invoice ' || voids.invoice_number || ' consumed credit notes ('
                    || cast(invoices.credit_notes_amount_cents as varchar)
                    || ' cents): voiding it would give them back, not supported yet'
        end as problem
    from voids
    left join invoices
        on voids.invoice_id = invoices.invoice_id
    left join paid_by_hand
        on voids.invoice_number = paid_by_hand.invoice_number
    left join credit_notes_on_invoice
        on voids.invoice_id = credit_notes_on_invoice.invoice_id
)

select
    source_file || ': invoice_voids[invoice_number=' || coalesce(invoice_number, '') || '].'
    || field || ': ' || problem as error
from breaches
where problem is not null
