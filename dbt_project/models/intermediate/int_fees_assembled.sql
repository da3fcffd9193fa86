-- Every fee line of every invoice issued before `to`: subscription fees,
-- charge fees and add-on fees, each on the invoice of the subscription and
-- instant that bill it (int_invoice_subscriptions_assembled).
-- Charge fees with 0 units, 0 amount and 0 events are not kept (Lago
-- Fees::ChargeService#should_persist_fee?), nor those of charges that are not
-- invoiceable. Coupons and taxes come next: int_fees_discounted,
-- int_fees_taxed.
-- Pay-in-advance charges bill each event on its own invoice
-- (int_charges_in_advance_priced; invoice_id null when the charge is not
-- invoiceable: the fee is recorded only). The period's invoice leaves them
-- out, except a recurring metric's, billed in full every period (Lago
-- Invoices::CalculateFeesService#create_charges_fees skips pay_in_advance
-- charges of non-recurring metrics).

with

invoice_subscriptions as (
    select
        invoice_id,
        subscription_id,
        billed_at
    from {{ ref('int_invoice_subscriptions_assembled') }}
),

subscription_fees as (
    select
        invoice_subscriptions.invoice_id,
        int_subscription_fees_computed.*
    from {{ ref('int_subscription_fees_computed') }} as int_subscription_fees_computed
    inner join invoice_subscriptions
        on
            int_subscription_fees_computed.subscription_id = invoice_subscriptions.subscription_id
            and int_subscription_fees_computed.billed_at = invoice_subscriptions.billed_at
),

charge_fees as (
    select
        invoice_subscriptions.invoice_id,
        int_charges_priced.*
    from {{ ref('int_charges_priced') }} as int_charges_priced
    -- charges are billed when their period ends (int_billing_periods_generated)
    inner join invoice_subscriptions
        on
            int_charges_priced.subscription_id = invoice_subscriptions.subscription_id
            and int_charges_priced.charges_to_datetime = invoice_subscriptions.billed_at
    where
        int_charges_priced.is_invoiceable
        and not int_charges_priced.is_left_off_period_invoice
        and (
            int_charges_priced.units <> 0
            or int_charges_priced.amount_cents <> 0
            or int_charges_priced.events_count <> 0
        )
),

charge_true_up_fees as (
    -- a charge's minimum spend, on the invoice of the charges it completes
    select
        invoice_subscriptions.invoice_id,
        int_charge_true_ups_computed.*
    from {{ ref('int_charge_true_ups_computed') }} as int_charge_true_ups_computed
    inner join invoice_subscriptions
        on
            int_charge_true_ups_computed.subscription_id = invoice_subscriptions.subscription_id
            and int_charge_true_ups_computed.charges_to_datetime = invoice_subscriptions.billed_at
    where int_charge_true_ups_computed.is_invoiceable
),

commitment_fees as (
    select
        invoice_subscriptions.invoice_id,
        int_commitment_fees_computed.*
    from {{ ref('int_commitment_fees_computed') }} as int_commitment_fees_computed
    inner join invoice_subscriptions
        on
            int_commitment_fees_computed.subscription_id = invoice_subscriptions.subscription_id
            and int_commitment_fees_computed.billed_at = invoice_subscriptions.billed_at
),

fees_on_own_invoices as (
    -- add-on fees of one-off invoices and each event's fee of a pay-in-advance charge
    select * from {{ ref('int_fees_on_own_invoices') }}
),

fees_unioned as (
    select
        subscription_fee_id as fee_id,
        invoice_id,
        'subscription' as fee_type,
        is_pay_in_advance as pay_in_advance,
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
        invoice_id,
        'charge' as fee_type,
        is_pay_in_advance as pay_in_advance,
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
        charge_true_up_fee_id as fee_id,
        invoice_id,
        'charge' as fee_type,
        false as pay_in_advance,
        external_customer_id,
        external_subscription_id,
        subscription_id,
        plan_code,
        billable_metric_code as code,
        charge_invoice_display_name as invoice_display_name,
        cast(null as varchar) as description,
        charge_id,
        charge_model,
        cast(null as varchar) as charge_filter_id,
        cast(null as varchar) as filter_display_name,
        '{}' as grouped_by,
        cast(1 as {{ type_precise() }}) as units,
        cast(0 as bigint) as events_count,
        precise_amount as precise_unit_amount,
        precise_amount,
        precise_amount_cents,
        amount_cents,
        currency,
        charges_issuing_date as issuing_date,
        charges_from_datetime as from_datetime,
        charges_to_datetime as to_datetime,
        charges_to_datetime_inclusive as to_datetime_inclusive
    from charge_true_up_fees

    union all

    select
        commitment_fee_id as fee_id,
        invoice_id,
        'commitment' as fee_type,
        false as pay_in_advance,
        external_customer_id,
        external_subscription_id,
        subscription_id,
        plan_code,
        'minimum_commitment' as code,
        'Minimum commitment' as invoice_display_name,
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
        case
            when to_datetime = full_period_to_datetime then {{ dbt.dateadd('second', -1, 'to_datetime') }}
            else to_datetime
        end as to_datetime_inclusive
    from commitment_fees

    union all

    select * from fees_on_own_invoices
)

select * from fees_unioned
