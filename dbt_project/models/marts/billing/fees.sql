-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql): a run
-- rewrites the rows of open invoices only.
{{ config(**frozen_mart_config()) }}

with

fees as (
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
        pay_in_advance,
        precise_unit_amount,
        precise_amount,
        precise_amount_cents,
        amount_cents,
        precise_coupons_amount_cents,
        taxes_amount_cents,
        taxes_rate,
        currency,
        issuing_date,
        from_datetime,
        to_datetime,
        to_datetime_inclusive
    from {{ ref('int_fees_taxed') }}
    union all
    -- the credit fee of each threshold top-up's credit invoice (never taxed)
    select
        credit_fee_id as fee_id,
        invoice_id,
        external_customer_id,
        cast(null as varchar) as external_subscription_id,
        cast(null as varchar) as subscription_id,
        'credit' as fee_type,
        wallet_code as code,
        cast(null as varchar) as plan_code,
        invoice_display_name,
        cast(null as varchar) as description,
        cast(null as varchar) as charge_id,
        cast(null as varchar) as charge_model,
        cast(null as varchar) as filter_display_name,
        '{}' as grouped_by,
        units,
        cast(null as bigint) as events_count,
        false as pay_in_advance,
        precise_unit_amount,
        precise_amount,
        precise_amount_cents,
        amount_cents,
        cast(0 as {{ type_precise() }}) as precise_coupons_amount_cents,
        cast(0 as bigint) as taxes_amount_cents,
        cast(0 as {{ type_precise() }}) as taxes_rate,
        currency,
        issuing_date,
        cast(null as timestamp) as from_datetime,
        cast(null as timestamp) as to_datetime,
        cast(null as timestamp) as to_datetime_inclusive
    from {{ ref('int_threshold_top_ups_invoiced') }}
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

{{ ledger_mart_rows('final') }}
