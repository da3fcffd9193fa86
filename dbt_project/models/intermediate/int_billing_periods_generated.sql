-- Every billing period of every subscription version that has started by
-- as_of, half-open [from, to), at the grain its charges are billed at: one
-- row per plan period, or per month of a yearly or semiannual plan with
-- bill_charges_monthly (its subscription fee stays once per plan period).
-- Lago: app/services/subscriptions/dates_service.rb and dates/*_service.rb,
-- organization_billing_service.rb (reference/invoicing.md §8).
--
-- Boundaries are days of the customer's timezone (else the organization's,
-- else UTC) turned into UTC instants, counted from an anchor (macros
-- billing_periods.sql): calendar periods start on Mondays, on the 1st, on
-- Jan/Apr/Jul/Oct 1st, Jan/Jul 1st or Jan 1st; anniversary periods on the
-- day of the subscription's first subscription_at, clamped to the last day
-- of shorter months (a 31st starts periods on Feb 28/29, Apr 30, then the
-- 31st again), the plan changes of a subscription keeping it.
-- A period is clipped to the version's start and end. Its charges are billed
-- when it ends (at its end boundary, or the instant the version ends); the
-- subscription fee's own dates and amount are in int_subscription_fees_computed.

with

subscriptions as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        plan_interval,
        billing_time,
        currency,
        timezone,
        invoice_grace_period_days,
        is_pay_in_advance,
        is_charges_billed_monthly,
        period_anchor_date,
        started_at,
        ended_at,
        ended_by
    from {{ ref('int_subscriptions_resolved') }}
    where
        started_at < {{ billing_as_of() }}
        and (ended_at is null or ended_at > started_at)
),

subscriptions_spanned as (
    -- the interval charges are billed at, and the numbers of the first and
    -- last such periods to generate (up to the version's end or as_of)
    select
        *,
        case when is_charges_billed_monthly then 'monthly' else plan_interval end as charges_interval,
        case
            when ended_at is null or ended_at > {{ billing_as_of() }} then {{ billing_as_of() }}
            else ended_at
        end as generated_until
    from subscriptions
),

subscriptions_indexed as (
    select
        *,
        {{ period_index_of(local_date('started_at', 'timezone'), 'period_anchor_date', 'charges_interval') }}
            as first_period_index,
        {{ period_index_of(local_date('generated_until', 'timezone'), 'period_anchor_date', 'charges_interval') }}
            as last_period_index
    from subscriptions_spanned
),

periods_spined as (
    select
        *,
        first_period_index + {{ row_indexes('last_period_index - first_period_index + 1') }}
            as charges_period_index
    from subscriptions_indexed
),

periods_bounded as (
    select
        *,
        {{ period_boundary_date('period_anchor_date', 'charges_period_index', 'charges_interval') }}
            as charges_period_start_date,
        {{ period_boundary_date('period_anchor_date', 'charges_period_index + 1', 'charges_interval') }}
            as charges_period_end_date
    from periods_spined
),

periods_in_plan_periods as (
    -- the plan period (subscription fee, commitment) each charges period
    -- belongs to: the same period unless charges are billed monthly
    select
        *,
        {{ period_index_of('charges_period_start_date', 'period_anchor_date', 'plan_interval') }}
            as plan_period_index
    from periods_bounded
),

periods_dated as (
    select
        *,
        {{ period_boundary_date('period_anchor_date', 'plan_period_index', 'plan_interval') }}
            as plan_period_start_date,
        {{ period_boundary_date('period_anchor_date', 'plan_period_index + 1', 'plan_interval') }}
            as plan_period_end_date,
        {{ local_day_start('charges_period_start_date', 'timezone') }} as full_charges_from_datetime,
        {{ local_day_start('charges_period_end_date', 'timezone') }} as full_charges_to_datetime
    from periods_in_plan_periods
),

periods_clipped as (
    select
        *,
        {{ local_day_start('plan_period_start_date', 'timezone') }} as full_period_from_datetime,
        {{ local_day_start('plan_period_end_date', 'timezone') }} as full_period_to_datetime,
        greatest(full_charges_from_datetime, started_at) as charges_from_datetime,
        case
            when ended_at < full_charges_to_datetime then ended_at
            else full_charges_to_datetime
        end as charges_to_datetime
    from periods_dated
    where full_charges_from_datetime < generated_until
),

periods_keyed as (
    select
        {{ surrogate_key(['subscription_id', 'full_charges_from_datetime']) }} as billing_period_id,
        {{ surrogate_key(['subscription_id', 'full_period_from_datetime']) }} as plan_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        plan_interval,
        billing_time,
        currency,
        timezone,
        invoice_grace_period_days,
        is_pay_in_advance,
        is_charges_billed_monthly,
        started_at,
        ended_at,
        ended_by,
        row_number() over (partition by subscription_id order by charges_period_index) as period_number,

        ---------- the plan period (subscription fee, minimum commitment)
        full_period_from_datetime,
        full_period_to_datetime,
        greatest(full_period_from_datetime, started_at) as from_datetime,
        case
            when ended_at < full_period_to_datetime then ended_at
            else full_period_to_datetime
        end as to_datetime,
        {{ dbt.datediff('plan_period_start_date', 'plan_period_end_date', 'day') }} as full_period_days,
        -- the first charges period of a plan period carries its fee
        row_number() over (
            partition by subscription_id, plan_period_index order by charges_period_index
        ) = 1 as is_first_of_plan_period,
        row_number() over (
            partition by subscription_id, plan_period_index order by charges_period_index desc
        ) = 1 as is_last_of_plan_period,

        ---------- charges (usage), always billed when the period ends
        full_charges_from_datetime,
        full_charges_to_datetime,
        charges_from_datetime,
        charges_to_datetime,
        -- Lago shows an inclusive end: 23:59:59 of the last local day, or the
        -- instant the version ended (reference/invoicing.md §8)
        case
            when charges_to_datetime = full_charges_to_datetime
                then {{ dbt.dateadd('second', -1, 'charges_to_datetime') }}
            else charges_to_datetime
        end as charges_to_datetime_inclusive,
        -- the full length of the charges period (Lago's charges_duration):
        -- weighted sums, prorated charges and charge minimums divide by it
        {{ dbt.datediff('charges_period_start_date', 'charges_period_end_date', 'day') }}
            as charges_duration_days,
        charges_to_datetime as charges_billed_at,
        {{ local_date('charges_to_datetime', 'timezone') }} as charges_issuing_date,
        -- no event is billed any more once the invoice is finalized: grace
        -- days after it is billed, but never after the first run that sees
        -- it finalized (issuing day + max(grace, 1) days, 00:00 UTC), so a
        -- later run never changes it
        least(
            {{ dbt.dateadd('day', 'invoice_grace_period_days', 'charges_to_datetime') }},
            {{ invoice_finalizes_at(
                local_date('charges_to_datetime', 'timezone'),
                'greatest(invoice_grace_period_days, 1)'
            ) }}
        ) as charges_invoice_finalizes_at
    from periods_clipped
    where greatest(full_charges_from_datetime, started_at) < charges_to_datetime
)

select * from periods_keyed
