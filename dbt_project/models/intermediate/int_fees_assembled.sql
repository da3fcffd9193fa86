-- Every fee line of every invoice issued before `to`: subscription fees,
-- charge fees and add-on fees, with the invoice that bills them.
-- Charge fees with 0 units, 0 amount and 0 events are not kept (Lago
-- Fees::ChargeService#should_persist_fee?), nor those of charges that are not
-- invoiceable. Coupons and taxes are 0 until their issues.
-- TODO(Pay-in-advance charges): they are billed here, in arrears with the
-- period, instead of on an invoice per event.

with

subscription_fees as (
    select * from {{ ref('int_subscription_fees_computed') }}
    where issuing_date < {{ billing_to_date() }}
),

charge_fees as (
    select * from {{ ref('int_charges_priced') }}
    where
        charges_issuing_date < {{ billing_to_date() }}
        and is_invoiceable
        and (units <> 0 or amount_cents <> 0 or events_count <> 0)
),

add_on_fees as (
    select * from {{ ref('int_add_on_fees_computed') }}
),

fees_unioned as (
    select
        subscription_fee_id as fee_id,
        {{ subscription_invoice_id('external_customer_id', 'currency', 'issuing_date') }} as invoice_id,
        'subscription' as fee_type,
        external_customer_id,
        external_subscription_id,
        subscription_id,
        plan_code,
        plan_code as code,
        plan_invoice_display_name as invoice_display_name,
        cast(null as varchar) as description,
        cast(null as varchar) as charge_id,
        cast(null as varchar) as charge_model,
        cast(null as varchar) as charge_filter_id,
        cast(null as varchar) as filter_display_name,
        '{}' as grouped_by,
        cast(1 as {{ type_precise() }}) as units,
        cast(null as bigint) as events_count,
        precise_amount as precise_unit_amount,
        precise_amount,
        precise_amount_cents,
        amount_cents,
        currency,
        issuing_date,
        from_datetime,
        to_datetime,
        to_datetime_inclusive
    from subscription_fees

    union all

    select
        charge_fee_id as fee_id,
        {{ subscription_invoice_id('external_customer_id', 'currency', 'charges_issuing_date') }}
            as invoice_id,
        'charge' as fee_type,
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
        charges_issuing_date as issuing_date,
        charges_from_datetime as from_datetime,
        charges_to_datetime as to_datetime,
        charges_to_datetime_inclusive as to_datetime_inclusive
    from charge_fees

    union all

    select
        add_on_fee_id as fee_id,
        invoice_id,
        'add_on' as fee_type,
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
),

fees_with_credits as (
    -- TODO(Coupons), TODO(Taxes): allocated coupons and fee taxes
    select
        *,
        cast(0 as {{ type_precise() }}) as precise_coupons_amount,
        cast(0 as bigint) as taxes_amount_cents,
        cast(0 as {{ type_precise() }}) as taxes_rate
    from fees_unioned
)

select * from fees_with_credits
