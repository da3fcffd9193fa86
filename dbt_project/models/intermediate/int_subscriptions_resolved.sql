-- Every subscription version ((external_id, created_at) row) with its
-- customer's settings, its plan's terms after plan_overrides, and the instants
-- it starts and ends. Events reach it through external_subscription_id, the
-- key Lago selects events by (reference/metering-and-pricing.md §1).
-- TODO(Plan changes): several versions of one external_id are a plan change
-- (upgrade at once, downgrade at period end); for now each version is billed
-- on its own from subscription_at to its own end.

with

subscriptions as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        subscription_name,
        billing_time,
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
        is_charges_billed_monthly
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
        -- TODO(Pricing and billing periods): periods are computed in UTC;
        -- the customer's timezone (kept here) moves every boundary
        customers.timezone,
        coalesce(customers.invoice_grace_period_days, 0) as invoice_grace_period_days,
        -- plan_overrides replace the plan's own terms for this subscription;
        -- only the simple scalar ones are read for now
        -- TODO(Plan overrides): overridden charges, taxes and commitment
        coalesce(
            cast({{ json_text('subscriptions.plan_overrides', "'amount_cents'") }} as bigint),
            plans.amount_cents
        ) as amount_cents,
        coalesce(
            cast({{ json_text('subscriptions.plan_overrides', "'trial_period'") }} as {{ type_precise() }}),
            plans.trial_period_days
        ) as trial_period_days,
        plans.is_pay_in_advance,
        plans.is_charges_billed_monthly,
        subscriptions.created_at,
        subscriptions.subscription_at as started_at,
        -- a subscription stops at its termination or its planned end,
        -- whichever comes first (null: still running)
        case
            when subscriptions.terminated_at is null then subscriptions.ending_at
            when subscriptions.ending_at is null then subscriptions.terminated_at
            else least(subscriptions.terminated_at, subscriptions.ending_at)
        end as ended_at,
        subscriptions.terminated_at,
        subscriptions.ending_at
    from subscriptions
    inner join plans
        on subscriptions.plan_code = plans.plan_code
    left join customers
        on subscriptions.external_customer_id = customers.external_customer_id
)

select * from subscriptions_joined_to_plans
