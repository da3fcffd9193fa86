-- Every subscription version ((external_id, created_at) row) with its
-- customer's settings, its plan's terms after plan_overrides, and the instants
-- it really starts and ends once the history of its external_id is applied
-- (CONTRACT §1.1). Events reach it through external_subscription_id, the key
-- Lago selects events by (reference/metering-and-pricing.md §1).
--
-- Rows of one external_id, in created_at order, are its history:
-- - a row created once the previous version has ended (terminated_at or
--   ending_at reached) is a new subscription, starting at its subscription_at;
-- - otherwise it is a plan change requested at its created_at
--   (app/services/subscriptions/create_service.rb, Subscription#upgraded?):
--   an upgrade (the new plan's yearly amount >= the old one's, weekly x 52,
--   monthly x 12, quarterly x 4, semiannual x 2) replaces the old version at
--   once; a downgrade waits for the end of the old version's current period
--   (Subscription#downgrade_plan_date). A changed version keeps the old one's
--   anniversary (Lago copies subscription_at), so its periods are inherited.
-- A trial counts from the first start of the external_id
-- (Subscription#initial_started_at), so recreating or changing the plan of a
-- subscription never restarts it.

with

subscriptions as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        subscription_name,
        billing_time,
        on_termination_credit_note,
        plan_overrides,
        created_at,
        subscription_at,
        ending_at,
        terminated_at
    from {{ ref('stg_raw__subscriptions') }}
),

customers as (
    select
        external_customer_id,
        currency,
        default_currency,
        timezone,
        invoice_grace_period_days
    from {{ ref('int_customers_resolved') }}
),

plans as (
    select
        plan_code,
        plan_name,
        invoice_display_name,
        plan_interval,
        amount_cents,
        amount_currency,
        trial_period_days,
        is_pay_in_advance,
        is_charges_billed_monthly,
        minimum_commitment_amount_cents
    from {{ ref('stg_raw__plans') }}
),

subscriptions_joined_to_plans as (
    select
        subscriptions.subscription_id,
        subscriptions.external_subscription_id,
        subscriptions.external_customer_id,
        subscriptions.plan_code,
        subscriptions.subscription_name,
        subscriptions.billing_time,
        subscriptions.on_termination_credit_note,
        coalesce(
            {{ json_text('subscriptions.plan_overrides', "'invoice_display_name'") }},
            plans.invoice_display_name,
            plans.plan_name
        ) as plan_invoice_display_name,
        plans.plan_interval,
        -- Lago gives a customer its first plan's currency; the catalog loader
        -- rejects a plan priced in another currency than its customer's
        coalesce(
            customers.currency,
            plans.amount_currency,
            customers.default_currency
        ) as currency,
        coalesce(customers.timezone, 'UTC') as timezone,
        coalesce(customers.invoice_grace_period_days, 0) as invoice_grace_period_days,
        -- plan_overrides replace the plan's own terms for this subscription
        -- TODO(Plan overrides): overridden charges and taxes
        coalesce(
            cast({{ json_text('subscriptions.plan_overrides', "'amount_cents'") }} as bigint),
            plans.amount_cents
        ) as amount_cents,
        coalesce(
            cast({{ json_text('subscriptions.plan_overrides', "'trial_period'") }} as {{ type_precise() }}),
            plans.trial_period_days
        ) as trial_period_days,
        coalesce(
            cast(
                {{ json_text("subscriptions.plan_overrides -> 'minimum_commitment'", "'amount_cents'") }}
                as bigint
            ),
            plans.minimum_commitment_amount_cents
        ) as minimum_commitment_amount_cents,
        plans.is_pay_in_advance,
        -- monthly charges only make sense on plans longer than a month
        plans.is_charges_billed_monthly and plans.plan_interval in ('yearly', 'semiannual')
            as is_charges_billed_monthly,
        subscriptions.created_at,
        subscriptions.subscription_at,
        subscriptions.terminated_at,
        subscriptions.ending_at,
        -- the version's own end: its termination or planned end, whichever
        -- comes first (null: open-ended)
        case
            when subscriptions.terminated_at is null then subscriptions.ending_at
            when subscriptions.ending_at is null then subscriptions.terminated_at
            else least(subscriptions.terminated_at, subscriptions.ending_at)
        end as own_ended_at
    from subscriptions
    inner join plans
        on subscriptions.plan_code = plans.plan_code
    left join customers
        on subscriptions.external_customer_id = customers.external_customer_id
),

versions_compared as (
    select
        *,
        amount_cents * case plan_interval
            when 'weekly' then 52
            when 'monthly' then 12
            when 'quarterly' then 4
            when 'semiannual' then 2
            else 1
        end as yearly_amount_cents,
        row_number() over (
            partition by external_subscription_id order by created_at, subscription_id
        ) as version_number,
        lag(own_ended_at) over (
            partition by external_subscription_id order by created_at, subscription_id
        ) as previous_own_ended_at,
        lag(subscription_id) over (
            partition by external_subscription_id order by created_at, subscription_id
        ) as previous_version_id
    from subscriptions_joined_to_plans
),

versions_chained as (
    -- a chain is one subscription and its plan changes
    select
        *,
        version_number = 1 or previous_own_ended_at <= created_at as is_chain_start,
        sum(case when version_number = 1 or previous_own_ended_at <= created_at then 1 else 0 end) over (
            partition by external_subscription_id
            order by version_number
            rows between unbounded preceding and current row
        ) as chain_number
    from versions_compared
),

versions_anchored as (
    -- a chain keeps the anniversary of its first subscription_at, in the
    -- customer's timezone
    select
        *,
        first_value({{ local_date('subscription_at', 'timezone') }}) over (
            partition by external_subscription_id, chain_number
            order by version_number
        ) as anniversary_date
    from versions_chained
),

versions_with_previous as (
    select
        versions_anchored.*,
        previous_versions.yearly_amount_cents as previous_yearly_amount_cents,
        previous_versions.plan_interval as previous_plan_interval,
        {{ period_anchor_date(
            'previous_versions.billing_time', 'previous_versions.plan_interval', 'versions_anchored.anniversary_date'
        ) }} as previous_period_anchor_date
    from versions_anchored
    left join versions_anchored as previous_versions
        on versions_anchored.previous_version_id = previous_versions.subscription_id
),

versions_started as (
    select
        *,
        case
            when is_chain_start then 'creation'
            when yearly_amount_cents >= previous_yearly_amount_cents then 'upgrade'
            else 'downgrade'
        end as started_by,
        case
            when is_chain_start then subscription_at
            when yearly_amount_cents >= previous_yearly_amount_cents then created_at
            -- a downgrade starts when the old version's current period ends
            else {{ local_day_start(
                period_boundary_date(
                    'previous_period_anchor_date',
                    period_index_of(
                        local_date('created_at', 'timezone'),
                        'previous_period_anchor_date',
                        'previous_plan_interval'
                    ) ~ ' + 1',
                    'previous_plan_interval'
                ),
                'timezone'
            ) }}
        end as started_at
    from versions_with_previous
),

versions_ended as (
    -- a version replaced by a plan change ends when its successor starts
    select
        *,
        lead(case when is_chain_start then null else started_at end) over (
            partition by external_subscription_id order by version_number
        ) as replaced_at,
        lead(case when is_chain_start then null else started_by end) over (
            partition by external_subscription_id order by version_number
        ) as replaced_by,
        lead(case when is_chain_start then null else subscription_id end) over (
            partition by external_subscription_id order by version_number
        ) as next_version_id,
        min(subscription_at) over (partition by external_subscription_id) as initial_started_at
    from versions_started
),

versions_resolved as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        subscription_name,
        billing_time,
        plan_invoice_display_name,
        plan_interval,
        currency,
        timezone,
        invoice_grace_period_days,
        amount_cents,
        trial_period_days,
        minimum_commitment_amount_cents,
        is_pay_in_advance,
        is_charges_billed_monthly,
        on_termination_credit_note,
        created_at,
        subscription_at,
        started_at,
        case
            when replaced_at is not null and (own_ended_at is null or replaced_at < own_ended_at)
                then replaced_at
            else own_ended_at
        end as ended_at,
        case
            when replaced_at is not null and (own_ended_at is null or replaced_at < own_ended_at)
                then replaced_by
            when terminated_at is not null and terminated_at = own_ended_at then 'termination'
            when own_ended_at is not null then 'ending_at'
        end as ended_by,
        started_by,
        terminated_at,
        ending_at,
        case when is_chain_start then null else previous_version_id end as previous_subscription_id,
        next_version_id as next_subscription_id,
        chain_number,
        anniversary_date,
        {{ period_anchor_date('billing_time', 'plan_interval', 'anniversary_date') }} as period_anchor_date,
        initial_started_at,
        case
            when trial_period_days > 0
                then {{ dbt.dateadd(
                    'second', 'cast(round(trial_period_days * 86400, 0) as bigint)', 'initial_started_at'
                ) }}
        end as trial_ended_at,
        -- Subscription#started_in_past?: started on an earlier (UTC) day than
        -- it was created
        cast(started_at as date) < cast(created_at as date) as is_started_in_past
    from versions_ended
)

select * from versions_resolved
