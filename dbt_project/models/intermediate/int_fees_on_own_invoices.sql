-- The fees that come with their own invoice rather than a subscription's
-- billing instant, in int_fees_assembled's shape (it unions them with the
-- rest): the add-on fees of one-off invoices, and the fee of each event of a
-- pay-in-advance charge (int_charges_in_advance_priced; invoice_id null when
-- the charge is not invoiceable, the fee recorded only), and the credit fee of
-- each purchase of prepaid credits (int_credit_purchases_invoiced).
{{ config(materialized='view') }}

with

in_advance_fees as (
    select * from {{ ref('int_charges_in_advance_priced') }}
),

add_on_fees as (
    select * from {{ ref('int_add_on_fees_computed') }}
),

credit_fees as (
    select * from {{ ref('int_credit_purchases_invoiced') }}
),

fees_unioned as (
    select
        charge_in_advance_fee_id as fee_id,
        invoice_id,
        'charge' as fee_type,
        true as pay_in_advance,
        external_customer_id,
        external_subscription_id,
        subscription_id,
        plan_code,
        billable_metric_code as code,
        charge_invoice_display_name as invoice_display_name,
        cast(null as varchar) as description,
        charge_id,
        charge_model,
        charge_filter_id,
        filter_display_name,
        grouped_by,
        units,
        events_count,
        precise_unit_amount,
        precise_amount,
        precise_amount_cents,
        amount_cents,
        currency,
        issuing_date,
        charges_from_datetime as from_datetime,
        charges_to_datetime as to_datetime,
        charges_to_datetime_inclusive as to_datetime_inclusive
    from in_advance_fees

    union all

    select
        add_on_fee_id as fee_id,
        invoice_id,
        'add_on' as fee_type,
        false as pay_in_advance,
        external_customer_id,
        cast(null as varchar) as external_subscription_id,
        cast(null as varchar) as subscription_id,
        cast(null as varchar) as plan_code,
        add_on_code as code,
        invoice_display_name,
        description,
        cast(null as varchar) as charge_id,
        cast(null as varchar) as charge_model,
        cast(null as varchar) as charge_filter_id,
        cast(null as varchar) as filter_display_name,
        '{}' as grouped_by,
        units,
        cast(null as bigint) as events_count,
        precise_unit_amount,
        precise_amount,
        precise_amount_cents,
        amount_cents,
        currency,
        issuing_date,
        cast(null as timestamp) as from_datetime,
        cast(null as timestamp) as to_datetime,
        cast(null as timestamp) as to_datetime_inclusive
    from add_on_fees

    union all

    select
        credit_fee_id as fee_id,
        invoice_id,
        'credit' as fee_type,
        false as pay_in_advance,
        external_customer_id,
        cast(null as varchar) as external_subscription_id,
        cast(null as varchar) as subscription_id,
        cast(null as varchar) as plan_code,
        wallet_code as code,
        invoice_display_name,
        cast(null as varchar) as description,
        cast(null as varchar) as charge_id,
        cast(null as varchar) as charge_model,
        cast(null as varchar) as charge_filter_id,
        cast(null as varchar) as filter_display_name,
        '{}' as grouped_by,
        units,
        cast(null as bigint) as events_count,
        precise_unit_amount,
        precise_amount,
        precise_amount_cents,
        amount_cents,
        currency,
        issuing_date,
        cast(null as timestamp) as from_datetime,
        cast(null as timestamp) as to_datetime,
        cast(null as timestamp) as to_datetime_inclusive
    from credit_fees
)

select * from fees_unioned
