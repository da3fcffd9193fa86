-- The subscription fee of every plan period of every subscription version,
-- with the instant it is billed. Lago: app/services/fees/subscription_service.rb,
-- Subscriptions::DatesService#single_day_price, Utils::Datetime
-- .date_diff_with_timezone, invoices/calculate_fees_service.rb,
-- subscriptions/free_trial_billing_service.rb (reference/invoicing.md §9-10).
--
-- precise = amount_cents x billed days / days of the full plan period,
-- rounded half away from zero once. Billed days are Lago's: counted in the
-- customer's timezone from the start of the first day (or the trial's end
-- instant), a started last day counting whole (macro lago_days_between).
-- - In arrears the fee covers the days used, billed when the period ends: a
--   partial first period from its start day, a termination up to and
--   including its day, an upgrade up to the day before it (the upgrade day
--   goes to the new plan: Subscription#date_diff_with_timezone).
-- - In advance the fee covers the whole period, billed when it starts (an
--   early end is refunded by int_credit_notes_computed). The first period is
--   prorated from the start day, except the full amount for an anniversary
--   subscription and for one started on an earlier day than it was created
--   (should_use_full_amount?); a plan change's first period is prorated
--   from its day to the end of the inherited period.
-- - Trials (from the first start of the external_id): no fee for a period
--   the trial covers; a period the trial ends in is prorated from the trial's
--   end. In advance, a period starting during the trial is billed at the
--   trial's end on an invoice of its own, unless the trial ends on the day
--   the period is billed (in_trial_period_not_ending_today?).

with

billing_periods as (
    select
        plan_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        timezone,
        is_pay_in_advance,
        full_period_from_datetime,
        full_period_to_datetime,
        full_period_days,
        from_datetime,
        to_datetime
    from {{ ref('int_billing_periods_generated') }}
    where is_first_of_plan_period
),

subscriptions as (
    select
        subscription_id,
        plan_invoice_display_name,
        amount_cents,
        billing_time,
        created_at,
        started_at,
        started_by,
        ended_by,
        trial_ended_at,
        is_started_in_past
    from {{ ref('int_subscriptions_resolved') }}
),

fee_periods as (
    select
        billing_periods.*,
        subscriptions.plan_invoice_display_name,
        subscriptions.amount_cents as plan_amount_cents,
        subscriptions.billing_time,
        subscriptions.created_at,
        subscriptions.started_by,
        subscriptions.ended_by,
        subscriptions.trial_ended_at,
        subscriptions.is_started_in_past,
        billing_periods.from_datetime = subscriptions.started_at as is_first_period,
        -- Lago's from_datetime: the start of the first local day
        case
            when billing_periods.from_datetime > billing_periods.full_period_from_datetime
                then {{ local_day_start(local_date('billing_periods.from_datetime', 'billing_periods.timezone'), 'billing_periods.timezone') }}
            else billing_periods.full_period_from_datetime
        end as fee_from_datetime,
        case
            when billing_periods.is_pay_in_advance then billing_periods.full_period_to_datetime
            else billing_periods.to_datetime
        end as fee_to_datetime
    from billing_periods
    inner join subscriptions
        on billing_periods.subscription_id = subscriptions.subscription_id
),

fee_periods_bounded as (
    select
        *,
        -- Lago's inclusive to_datetime: 23:59:59 of the last local day, or
        -- the instant the version ended
        case
            when fee_to_datetime = full_period_to_datetime
                then {{ dbt.dateadd('second', -1, 'fee_to_datetime') }}
            else fee_to_datetime
        end as fee_to_datetime_inclusive,
        case
            when is_pay_in_advance then greatest(from_datetime, created_at)
            else to_datetime
        end as period_billed_at
    from fee_periods
),

fees_against_trial as (
    select
        *,
        coalesce(trial_ended_at >= fee_to_datetime_inclusive, false) as is_covered_by_trial,
        coalesce(
            trial_ended_at > fee_from_datetime and trial_ended_at < fee_to_datetime_inclusive,
            false
        ) as is_trial_ending_in_period
    from fee_periods_bounded
),

fees_dated as (
    select
        *,
        case
            -- the trial-end invoice of a pay-in-advance period
            when
                is_pay_in_advance
                and is_trial_ending_in_period
                and trial_ended_at > period_billed_at
                and {{ local_date('trial_ended_at', 'timezone') }}
                <> {{ local_date('period_billed_at', 'timezone') }}
                then trial_ended_at
            else period_billed_at
        end as billed_at,
        case
            when is_trial_ending_in_period then trial_ended_at
            else fee_from_datetime
        end as billed_from_datetime,
        case
            when is_trial_ending_in_period then false
            when not is_pay_in_advance then false
            when not is_first_period then true
            when started_by = 'creation' and (billing_time = 'anniversary' or is_started_in_past) then true
            else false
        end as is_full_amount
    from fees_against_trial
    where not is_covered_by_trial
),

fees_counted as (
    select
        *,
        case
            when is_full_amount then full_period_days
            -- an upgrade's day is billed by the new plan
            when not is_pay_in_advance and ended_by = 'upgrade' and fee_to_datetime < full_period_to_datetime
                then greatest(
                    {{ lago_days_between('billed_from_datetime', 'fee_to_datetime_inclusive', 'timezone') }} - 1,
                    0
                )
            else {{ lago_days_between('billed_from_datetime', 'fee_to_datetime_inclusive', 'timezone') }}
        end as billed_days
    from fees_dated
),

fees_prorated as (
    select
        {{ surrogate_key(["'subscription'", 'plan_period_id']) }} as subscription_fee_id,
        plan_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        plan_invoice_display_name,
        currency,
        timezone,
        is_pay_in_advance,
        billed_at,
        {{ local_date('billed_at', 'timezone') }} as issuing_date,
        fee_from_datetime as from_datetime,
        fee_to_datetime as to_datetime,
        fee_to_datetime_inclusive as to_datetime_inclusive,
        full_period_from_datetime,
        full_period_to_datetime,
        billed_days,
        full_period_days,
        plan_amount_cents,
        case
            when billed_days = full_period_days then cast(plan_amount_cents as {{ type_precise() }})
            else {{ divide_decimal('plan_amount_cents * billed_days', 'full_period_days') }}
        end as precise_amount_cents
    from fees_counted
),

fees_rounded as (
    select
        *,
        cast(round(precise_amount_cents, 0) as bigint) as amount_cents,
        {{ minor_to_major_units('precise_amount_cents', 'currency') }} as precise_amount
    from fees_prorated
)

select * from fees_rounded
