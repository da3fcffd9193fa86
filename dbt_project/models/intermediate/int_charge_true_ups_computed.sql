-- The minimum spend of a charge (min_amount_cents): when the charge's fees of
-- a charges period (every filter and group) add up to less than the minimum
-- prorated to the days billed, a true-up fee makes up the difference. Lago:
-- app/services/fees/create_true_up_service.rb, Fees::ChargeService#init_true_up_fee,
-- Subscriptions::DatesService#charge_single_day_price (reference
-- metering-and-pricing.md §9, invoicing.md §11):
--   prorated minimum = min_amount_cents / charges_duration x days billed,
--   days billed = the charges period in started days (a termination after 25
--   of 28 days bills 25: 1000 / 28 x 25 - 800 = 93 in spending_minimum_spec);
--   true-up = round(prorated minimum - sum of the fees' amount_cents),
-- a charge fee with units 1 and events_count 0, taxed with the charge's taxes
-- and open to coupons like any charge fee.

with

usage as (
    select
        charge_period_id,
        billing_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        charge_id,
        charge_position,
        billable_metric_code,
        charge_invoice_display_name,
        aggregation_type,
        charge_model,
        is_pay_in_advance,
        is_invoiceable,
        currency,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive,
        charges_issuing_date,
        charges_duration_days
    from {{ ref('int_usage_aggregated') }}
),

charges as (
    select
        charge_id,
        min_amount_cents
    from {{ ref('stg_raw__charges') }}
    where min_amount_cents > 0
),

subscriptions as (
    select
        subscription_id,
        timezone
    from {{ ref('int_subscriptions_resolved') }}
),

charge_fees as (
    select
        charge_period_id,
        sum(amount_cents) as amount_cents,
        sum(precise_amount_cents) as precise_amount_cents
    from {{ ref('int_charges_priced') }}
    group by 1
),

charge_periods as (
    -- one row per charge and period, whatever its filters and groups
    select distinct usage.*
    from usage
    inner join charges
        on usage.charge_id = charges.charge_id
),

minimums_prorated as (
    select
        charge_periods.*,
        charges.min_amount_cents,
        coalesce(charge_fees.amount_cents, 0) as used_amount_cents,
        {{ lago_days_between(
            'charge_periods.charges_from_datetime',
            'charge_periods.charges_to_datetime_inclusive',
            'subscriptions.timezone'
        ) }} as billed_days,
        {{ divide_decimal(
            'charges.min_amount_cents * ' ~ lago_days_between(
                'charge_periods.charges_from_datetime',
                'charge_periods.charges_to_datetime_inclusive',
                'subscriptions.timezone'
            ),
            'charge_periods.charges_duration_days'
        ) }} as prorated_min_amount_cents
    from charge_periods
    inner join charges
        on charge_periods.charge_id = charges.charge_id
    inner join subscriptions
        on charge_periods.subscription_id = subscriptions.subscription_id
    left join charge_fees
        on charge_periods.charge_period_id = charge_fees.charge_period_id
),

true_ups as (
    select
        {{ surrogate_key(["'true_up'", 'charge_period_id']) }} as charge_true_up_fee_id,
        charge_period_id,
        billing_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        charge_id,
        charge_position,
        billable_metric_code,
        charge_invoice_display_name,
        charge_model,
        is_pay_in_advance,
        is_invoiceable,
        currency,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive,
        charges_issuing_date,
        min_amount_cents,
        used_amount_cents,
        billed_days,
        charges_duration_days,
        prorated_min_amount_cents,
        cast(prorated_min_amount_cents - used_amount_cents as {{ type_precise() }}) as precise_amount_cents,
        cast(round(prorated_min_amount_cents - used_amount_cents, 0) as bigint) as amount_cents,
        {{ minor_to_major_units('prorated_min_amount_cents - used_amount_cents', 'currency') }} as precise_amount
    from minimums_prorated
    where used_amount_cents < prorated_min_amount_cents
)

select * from true_ups
