-- The plan's minimum commitment true-up of every plan period (a yearly or
-- semiannual period as a whole, even with charges billed monthly) of every
-- subscription version with a commitment. Lago:
-- app/services/commitments/minimum/calculate_true_up_fee_service.rb and its
-- in_advance/in_arrears variants, commitments/calculate_amount_service.rb,
-- commitments/calculate_prorated_coefficient_service.rb,
-- invoices/calculate_fees_service.rb#should_create_minimum_commitment_true_up_fee?
-- (reference/invoicing.md §11, metering-and-pricing.md §10):
-- - commitment = amount_cents x days covered / days of the plan period,
--   rounded half away from zero (days covered: from the first local day the
--   version is in the period to its end or termination, Lago's day count);
-- - true-up = commitment - the amount_cents of every fee of the period (the
--   subscription fee, wherever it was billed, and every charge fee and
--   charge true-up of its charges periods, a pay-in-advance charge's fees
--   of the events in them included), when positive;
-- - it goes on the invoice billing the period's last charges: the invoice
--   closing the period in arrears, the next period's in advance (or the
--   termination's); for an in-advance plan never on the subscription's first
--   invoice (a trial can make the one closing the first period the first).
-- Coupons and credits do not reduce it.

with

subscriptions as (
    select
        subscription_id,
        plan_code,
        timezone,
        minimum_commitment_amount_cents,
        is_pay_in_advance
    from {{ ref('int_subscriptions_resolved') }}
    where minimum_commitment_amount_cents is not null
),

billing_periods as (
    select
        billing_period_id,
        plan_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        currency,
        full_period_from_datetime,
        full_period_to_datetime,
        full_period_days,
        from_datetime,
        to_datetime,
        is_last_of_plan_period,
        charges_billed_at,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive
    from {{ ref('int_billing_periods_generated') }}
),

invoice_subscriptions as (
    select
        subscription_id,
        billed_at
    from {{ ref('int_invoice_subscriptions_assembled') }}
),

subscription_fees as (
    select
        plan_period_id,
        amount_cents,
        precise_amount_cents
    from {{ ref('int_subscription_fees_computed') }}
),

charge_fees as (
    select
        billing_period_id,
        amount_cents,
        precise_amount_cents
    from {{ ref('int_charge_fees_unioned') }}
),

first_invoices as (
    select
        subscription_id,
        min(billed_at) as first_billed_at
    from invoice_subscriptions
    group by 1
),

plan_periods as (
    -- the commitment period and where its true-up is billed
    select
        billing_periods.plan_period_id,
        billing_periods.subscription_id,
        billing_periods.external_subscription_id,
        billing_periods.external_customer_id,
        billing_periods.currency,
        subscriptions.plan_code,
        subscriptions.timezone,
        subscriptions.is_pay_in_advance,
        subscriptions.minimum_commitment_amount_cents,
        billing_periods.full_period_from_datetime,
        billing_periods.full_period_to_datetime,
        billing_periods.full_period_days,
        billing_periods.from_datetime,
        billing_periods.to_datetime,
        billing_periods.charges_billed_at as billed_at,
        billing_periods.charges_from_datetime,
        billing_periods.charges_to_datetime,
        billing_periods.charges_to_datetime_inclusive
    from billing_periods
    inner join subscriptions
        on billing_periods.subscription_id = subscriptions.subscription_id
    where billing_periods.is_last_of_plan_period
),

plan_periods_covered as (
    select
        *,
        {{ lago_days_between(
            "case when from_datetime > full_period_from_datetime then "
            ~ local_day_start(local_date('from_datetime', 'timezone'), 'timezone')
            ~ " else full_period_from_datetime end",
            "case when to_datetime = full_period_to_datetime then "
            ~ dbt.dateadd('second', -1, 'to_datetime') ~ " else to_datetime end",
            'timezone'
        ) }} as covered_days
    from plan_periods
),

period_fees_unioned as (
    select
        plan_period_id,
        amount_cents,
        precise_amount_cents
    from subscription_fees
    union all
    select
        billing_periods.plan_period_id,
        charge_fees.amount_cents,
        charge_fees.precise_amount_cents
    from charge_fees
    inner join billing_periods
        on charge_fees.billing_period_id = billing_periods.billing_period_id
),

period_fees as (
    select
        plan_period_id,
        sum(amount_cents) as amount_cents,
        sum(precise_amount_cents) as precise_amount_cents
    from period_fees_unioned
    group by 1
),

commitments_computed as (
    select
        plan_periods_covered.*,
        cast(
            round(
                {{ divide_decimal(
                    'plan_periods_covered.minimum_commitment_amount_cents * plan_periods_covered.covered_days',
                    'plan_periods_covered.full_period_days'
                ) }},
                0
            ) as bigint
        ) as commitment_amount_cents,
        coalesce(period_fees.amount_cents, 0) as fees_amount_cents,
        coalesce(period_fees.precise_amount_cents, 0) as fees_precise_amount_cents,
        first_invoices.first_billed_at
    from plan_periods_covered
    left join period_fees
        on plan_periods_covered.plan_period_id = period_fees.plan_period_id
    left join first_invoices
        on plan_periods_covered.subscription_id = first_invoices.subscription_id
),

true_ups as (
    select
        {{ surrogate_key(["'commitment'", 'plan_period_id']) }} as commitment_fee_id,
        plan_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        billed_at,
        {{ local_date('billed_at', 'timezone') }} as issuing_date,
        full_period_from_datetime,
        full_period_to_datetime,
        from_datetime,
        to_datetime,
        covered_days,
        full_period_days,
        minimum_commitment_amount_cents,
        commitment_amount_cents,
        fees_amount_cents,
        cast(commitment_amount_cents - fees_precise_amount_cents as {{ type_precise() }}) as precise_amount_cents,
        commitment_amount_cents - fees_amount_cents as amount_cents,
        {{ minor_to_major_units('commitment_amount_cents - fees_precise_amount_cents', 'currency') }}
            as precise_amount
    from commitments_computed
    where
        commitment_amount_cents > fees_amount_cents
        and not (is_pay_in_advance and billed_at = first_billed_at)
)

select * from true_ups
