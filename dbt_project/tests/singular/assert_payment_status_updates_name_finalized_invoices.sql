-- A payment status set by hand (catalog `payment_status_updates`) must name a
-- finalized invoice by its number, and be dated from its finalization on (Lago
-- updates the payment status of finalized invoices only). One row per update
-- known by as_of that does not, with the file, the update and the field to fix:
-- the run fails instead of ignoring the update.

{{ config(store_failures=true) }}

with

updates as (
    select
        invoice_number,
        updated_at,
        source_file
    from {{ ref('stg_raw__payment_status_updates') }}
    where updated_at < {{ billing_as_of() }}
),

invoices as (
    -- from the models the invoices mart is built from, so a run failing on a
    -- credit note reports this test too
    select
        int_invoices_numbered.number,
        int_invoices_scheduled.finalized_at
    from {{ ref('int_invoices_scheduled') }} as int_invoices_scheduled
    inner join {{ ref('int_invoices_numbered') }} as int_invoices_numbered
        on int_invoices_scheduled.invoice_id = int_invoices_numbered.invoice_id
    where int_invoices_scheduled.status = 'finalized'
),

unmatched as (
    select
        updates.source_file,
        updates.invoice_number,
        updates.updated_at,
        case
            when invoices.number is null then 'invoice_number'
            else 'updated_at'
        end as field,
        case
            when invoices.number is null
                then 'no finalized invoice ' || coalesce(updates.invoice_number, '(none given)')
            else 'before the invoice was finalized (' || cast(invoices.finalized_at as varchar) || ')'
        end as problem
    from updates
    left join invoices
        on updates.invoice_number = invoices.number
    where invoices.number is null
        or updates.updated_at < invoices.finalized_at
)

select
    source_file || ': payment_status_updates[invoice_number=' || coalesce(invoice_number, '')
    || ',updated_at=' || strftime(updated_at, '%Y-%m-%dT%H:%M:%S') || '].' || field
    || ': ' || problem as error
from unmatched
