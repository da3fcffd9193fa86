-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql).
{{ config(post_hook="{{ freeze_finalized() }}") }}

with

invoice_subscriptions as (
    select * from {{ ref('int_invoice_subscriptions_assembled') }}
),

final as (
    select
        invoice_subscription_id,
        invoice_id,
        external_subscription_id,
        subscription_id,
        external_customer_id,
        plan_code,
        currency,
        issuing_date,
        has_subscription_fee,
        -- Lago's inclusive ends; the engine's half-open ends beside them
        from_datetime,
        to_datetime_inclusive as to_datetime,
        to_datetime as to_datetime_exclusive,
        charges_from_datetime,
        charges_to_datetime_inclusive as charges_to_datetime,
        charges_to_datetime as charges_to_datetime_exclusive
    from invoice_subscriptions
)

select * from final
