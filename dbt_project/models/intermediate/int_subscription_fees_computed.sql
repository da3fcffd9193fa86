-- The subscription fee of every billing period: the plan's amount_cents,
-- prorated by days when the period is clipped by the subscription's start or
-- (in arrears) its end. Lago: app/services/fees/subscription_service.rb,
-- Subscriptions::DatesService#single_day_price (reference/invoicing.md §9):
-- precise = amount_cents x billed days / days of the full period, rounded half
-- away from zero once.
-- TODO(Trials): a period inside the trial is free, one that the trial ends in
-- is prorated from the trial end (trial_period_days is resolved already).
-- TODO(Pricing and billing periods): Lago bills the full amount on the first
-- in-advance invoice of an anniversary subscription, and of one whose
-- subscription_at is before its created_at.

with

billing_periods as (
    select
        billing_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        is_pay_in_advance,
        full_period_days,
        fee_from_datetime,
        fee_to_datetime,
        fee_to_datetime_inclusive,
        fee_billed_days,
        fee_issuing_date
    from {{ ref('int_billing_periods_generated') }}
),

subscriptions as (
    select
        subscription_id,
        plan_invoice_display_name,
        amount_cents
    from {{ ref('int_subscriptions_resolved') }}
),

fees_prorated as (
    select
        {{ surrogate_key(["'subscription'", 'billing_periods.billing_period_id']) }} as subscription_fee_id,
        billing_periods.billing_period_id,
        billing_periods.subscription_id,
        billing_periods.external_subscription_id,
        billing_periods.external_customer_id,
        billing_periods.plan_code,
        subscriptions.plan_invoice_display_name,
        billing_periods.currency,
        billing_periods.is_pay_in_advance,
        billing_periods.fee_issuing_date as issuing_date,
        billing_periods.fee_from_datetime as from_datetime,
        billing_periods.fee_to_datetime as to_datetime,
        billing_periods.fee_to_datetime_inclusive as to_datetime_inclusive,
        billing_periods.fee_billed_days as billed_days,
        billing_periods.full_period_days,
        subscriptions.amount_cents as plan_amount_cents,
        {{ divide_decimal(
            'subscriptions.amount_cents * billing_periods.fee_billed_days',
            'billing_periods.full_period_days'
        ) }} as precise_amount_cents
    from billing_periods
    inner join subscriptions
        on billing_periods.subscription_id = subscriptions.subscription_id
),

fees_rounded as (
    select
        *,
        cast(round(precise_amount_cents, 0) as bigint) as amount_cents,
        {{ minor_to_major_units('precise_amount_cents', 'currency') }} as precise_amount
    from fees_prorated
)

select * from fees_rounded
