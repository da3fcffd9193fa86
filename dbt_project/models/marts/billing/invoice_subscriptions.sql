-- Rows of finalized invoices are frozen in the ledger (macros/ledger.sql): a run
-- rewrites the rows of open invoices only.
{{ config(**frozen_mart_config()) }}

with

invoice_subscriptions as (
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
        from_datetime,
        to_datetime,
        to_datetime_inclusive,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive
    from {{ ref('int_invoice_subscriptions_assembled') }}
    union all
    -- a pay-in-advance charge's invoice of one event: the charges period the
    -- event falls in (Lago's invoice subscription, invoicing_reason
    -- in_advance_charge)
    select distinct
        {{ surrogate_key(['invoice_id', 'subscription_id']) }} as invoice_subscription_id,
        invoice_id,
        external_subscription_id,
        subscription_id,
        external_customer_id,
        plan_code,
        currency,
        issuing_date,
        false as has_subscription_fee,
        charges_from_datetime as from_datetime,
        charges_to_datetime as to_datetime,
        charges_to_datetime_inclusive as to_datetime_inclusive,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive
    from {{ ref('int_charges_in_advance_priced') }}
    where invoice_id is not null
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

{{ ledger_mart_rows('final') }}
