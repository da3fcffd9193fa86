-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql).
{{ config(post_hook="{{ freeze_finalized() }}") }}

with

fees as (
    select * from {{ ref('int_fees_taxed') }}
),

final as (
    select
        fee_id,
        invoice_id,
        external_customer_id,
        external_subscription_id,
        subscription_id,
        fee_type,
        code,
        plan_code,
        invoice_display_name,
        description,
        charge_id,
        charge_model,
        filter_display_name,
        grouped_by,
        units,
        events_count,
        -- billed in advance: a pay-in-advance charge (on its event's invoice,
        -- or recorded without one) or a pay-in-advance plan's subscription fee
        pay_in_advance,
        precise_unit_amount,
        precise_amount,
        precise_amount_cents,
        amount_cents,
        -- major units, as precise_amount; Lago's cents with 5 decimals / subunit
        {{ minor_to_major_units('precise_coupons_amount_cents', 'currency') }} as precise_coupons_amount,
        taxes_amount_cents,
        taxes_rate,
        currency,
        issuing_date,
        from_datetime,
        -- Lago's inclusive end; the engine's half-open end beside it
        to_datetime_inclusive as to_datetime,
        to_datetime as to_datetime_exclusive
    from fees
)

select * from final
