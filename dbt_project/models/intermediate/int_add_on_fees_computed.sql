-- The add-on fees of one-off invoices: units x unit_amount_cents (the line's,
-- else the add-on's amount_cents), rounded half away from zero once
-- (Lago app/services/fees/one_off_service.rb).

with

one_off_invoices as (
    select
        invoice_id,
        one_off_invoice_external_id,
        external_customer_id,
        currency,
        issuing_date
    from {{ ref('int_one_off_invoices_resolved') }}
),

one_off_invoice_fees as (
    select
        one_off_invoice_fee_id,
        one_off_invoice_external_id,
        add_on_code,
        description,
        fee_position,
        units,
        unit_amount_cents
    from {{ ref('stg_raw__one_off_invoice_fees') }}
),

add_ons as (
    select
        add_on_code,
        add_on_name,
        invoice_display_name,
        amount_cents
    from {{ ref('stg_raw__add_ons') }}
),

fees_joined as (
    select
        {{ surrogate_key(["'add_on'", 'one_off_invoice_fees.one_off_invoice_fee_id']) }} as add_on_fee_id,
        one_off_invoices.invoice_id,
        one_off_invoices.one_off_invoice_external_id,
        one_off_invoices.external_customer_id,
        one_off_invoices.currency,
        one_off_invoices.issuing_date,
        one_off_invoice_fees.add_on_code,
        coalesce(add_ons.invoice_display_name, add_ons.add_on_name, one_off_invoice_fees.add_on_code)
            as invoice_display_name,
        one_off_invoice_fees.description,
        one_off_invoice_fees.fee_position,
        one_off_invoice_fees.units,
        coalesce(
            one_off_invoice_fees.unit_amount_cents,
            cast(add_ons.amount_cents as {{ type_precise() }})
        ) as unit_amount_cents
    from one_off_invoice_fees
    inner join one_off_invoices
        on one_off_invoice_fees.one_off_invoice_external_id = one_off_invoices.one_off_invoice_external_id
    left join add_ons
        on one_off_invoice_fees.add_on_code = add_ons.add_on_code
),

fees_rounded as (
    select
        *,
        cast(units * unit_amount_cents as {{ type_precise() }}) as precise_amount_cents,
        cast(round(units * unit_amount_cents, 0) as bigint) as amount_cents,
        {{ minor_to_major_units('unit_amount_cents', 'currency') }} as precise_unit_amount,
        {{ minor_to_major_units('cast(units * unit_amount_cents as ' ~ type_precise() ~ ')', 'currency') }}
            as precise_amount
    from fees_joined
)

select * from fees_rounded
