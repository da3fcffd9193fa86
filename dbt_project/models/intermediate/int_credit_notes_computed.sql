-- The credit note Lago issues when a pay-in-advance subscription version
-- ends before the period it paid for: terminated, reaching its ending_at or
-- upgraded (a downgrade ends at the period's end, nothing is unused), unless
-- on_termination_credit_note is skip. Lago:
-- app/services/credit_notes/create_from_termination.rb (reference
-- invoicing.md §5):
-- - unused amount = the plan's day price in that period x the days from the
--   day after the termination day to the period's last day (an upgrade's day
--   is credited too, the new plan bills it); the termination day is Lago's
--   `terminated_at.in_time_zone(tz).end_of_day.utc.to_date`;
-- - a trial ending on or after that day moves the start to the day before
--   the trial's end (UTC dates, Subscription#trial_end_date);
-- - at most the fee paid for the period, rounded half away from zero.
-- It is issued at the termination instant. `refund` is credited like
-- `credit` (refunds need payments, a later issue).
-- Then, as CreditNotes::ApplyTaxesService: the item (the unused amount
-- truncated to 5 decimals) loses the fee's coupons in proportion
-- (coupons_adjustment = fee coupons x item / fee amount), each tax of the fee
-- applies to what is left and is rounded, and the credit is item -
-- adjustment + taxes, rounded once.

with

subscriptions as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        currency,
        timezone,
        amount_cents,
        ended_at,
        ended_by,
        on_termination_credit_note,
        trial_ended_at,
        initial_started_at,
        trial_period_days
    from {{ ref('int_subscriptions_resolved') }}
    where
        is_pay_in_advance
        and ended_by in ('termination', 'ending_at', 'upgrade')
        and on_termination_credit_note <> 'skip'
),

subscription_fees as (
    select
        subscription_fee_id,
        subscription_id,
        plan_period_id,
        full_period_from_datetime,
        full_period_to_datetime,
        full_period_days,
        amount_cents
    from {{ ref('int_subscription_fees_computed') }}
),

terminated_fees as (
    -- the fee paid for the period the version ended in
    select
        subscriptions.*,
        subscription_fees.subscription_fee_id,
        subscription_fees.plan_period_id,
        subscription_fees.full_period_days,
        subscription_fees.amount_cents as fee_amount_cents,
        -- the last local day of the period
        {{ dbt.dateadd('day', -1, local_date('subscription_fees.full_period_to_datetime', 'subscriptions.timezone')) }}
            as period_last_date,
        cast(
            {{ local_to_utc(
                dbt.dateadd('second', -1, dbt.dateadd(
                    'day', 1, 'cast(' ~ local_date('subscriptions.ended_at', 'subscriptions.timezone') ~ ' as timestamp)'
                )),
                'subscriptions.timezone'
            ) }} as date
        ) as termination_date
    from subscriptions
    inner join subscription_fees
        on
            subscriptions.subscription_id = subscription_fees.subscription_id
            and subscriptions.ended_at > subscription_fees.full_period_from_datetime
            and subscriptions.ended_at < subscription_fees.full_period_to_datetime
    where subscription_fees.amount_cents > 0
),

credited_from as (
    select
        *,
        case
            when ended_by = 'upgrade' then cast({{ dbt.dateadd('day', -1, 'termination_date') }} as date)
            else termination_date
        end as billed_from_date,
        case
            when trial_period_days > 0
                then cast({{ dbt.dateadd('day', 'cast(trial_period_days as integer)', 'cast(initial_started_at as date)') }} as date)
        end as trial_end_date
    from terminated_fees
),

credited_days as (
    select
        *,
        greatest(
            {{ dbt.datediff(
                "case when trial_end_date >= billed_from_date then "
                ~ "case when trial_end_date > cast(period_last_date as date) then cast(period_last_date as date) "
                ~ "else cast(" ~ dbt.dateadd('day', -1, 'trial_end_date') ~ " as date) end "
                ~ "else billed_from_date end",
                'cast(period_last_date as date)',
                'day'
            ) }},
            0
        ) as credited_days
    from credited_from
),

credit_notes as (
    select
        {{ surrogate_key(["'credit_note'", 'subscription_id', 'plan_period_id']) }} as credit_note_id,
        subscription_id,
        subscription_fee_id,
        plan_period_id,
        external_subscription_id,
        external_customer_id,
        currency,
        ended_at as issued_at,
        ended_by,
        credited_days,
        full_period_days,
        fee_amount_cents,
        least(
            {{ divide_decimal('amount_cents * credited_days', 'full_period_days') }},
            fee_amount_cents
        ) as precise_amount_cents
    from credited_days
    where credited_days > 0
),

fees as (
    select
        fee_id,
        invoice_id,
        amount_cents,
        precise_coupons_amount_cents
    from {{ ref('int_fees_taxed') }}
),

fee_taxes as (
    select
        fee_id,
        tax_rate
    from {{ ref('int_fee_taxes_resolved') }}
),

credit_notes_itemized as (
    select
        credit_notes.*,
        fees.invoice_id,
        trunc(credit_notes.precise_amount_cents, 5) as precise_item_amount_cents,
        coalesce(
            {{ divide_decimal(
                'fees.precise_coupons_amount_cents * trunc(credit_notes.precise_amount_cents, 5)',
                'fees.amount_cents'
            ) }},
            0
        ) as precise_coupons_adjustment_amount_cents
    from credit_notes
    left join fees
        on credit_notes.subscription_fee_id = fees.fee_id
),

credit_note_taxes as (
    select
        credit_notes_itemized.credit_note_id,
        cast(sum(round(
            cast(
                (credit_notes_itemized.precise_item_amount_cents
                - credit_notes_itemized.precise_coupons_adjustment_amount_cents) * fee_taxes.tax_rate
                as {{ type_precise() }}
            ) * cast(0.01 as decimal(3, 2)),
            0
        )) as bigint) as taxes_amount_cents
    from credit_notes_itemized
    inner join fee_taxes
        on credit_notes_itemized.subscription_fee_id = fee_taxes.fee_id
    group by 1
),

credit_notes_rounded as (
    select
        credit_notes_itemized.*,
        cast(round(credit_notes_itemized.precise_amount_cents, 0) as bigint) as amount_cents,
        cast(round(credit_notes_itemized.precise_coupons_adjustment_amount_cents, 0) as bigint)
            as coupons_adjustment_amount_cents,
        coalesce(credit_note_taxes.taxes_amount_cents, 0) as taxes_amount_cents,
        cast(
            round(
                credit_notes_itemized.precise_item_amount_cents
                - credit_notes_itemized.precise_coupons_adjustment_amount_cents
                + coalesce(credit_note_taxes.taxes_amount_cents, 0),
                0
            ) as bigint
        ) as total_amount_cents
    from credit_notes_itemized
    left join credit_note_taxes
        on credit_notes_itemized.credit_note_id = credit_note_taxes.credit_note_id
)

select * from credit_notes_rounded
