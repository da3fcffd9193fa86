-- One row per subscription invoice x subscription version: what the invoice
-- of a customer's billing day bills for each subscription, the subscription
-- fee's period (in advance: the period starting that day; in arrears: the one
-- that just ended) and the charges' period (the one that just ended). Lago
-- groups every subscription of a customer billed the same day, per currency,
-- into one invoice (organization_billing_service.rb, reference invoicing.md §8).

with

billing_periods as (
    select
        billing_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        fee_issuing_date,
        fee_from_datetime,
        fee_to_datetime,
        fee_to_datetime_inclusive,
        charges_issuing_date,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive
    from {{ ref('int_billing_periods_generated') }}
),

billed_items as (
    -- a period is billed twice when the fee is paid in advance (its fee at the
    -- start, its charges at the end), once otherwise
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        fee_issuing_date as issuing_date,
        fee_from_datetime as from_datetime,
        fee_to_datetime as to_datetime,
        fee_to_datetime_inclusive as to_datetime_inclusive,
        cast(null as timestamp) as charges_from_datetime,
        cast(null as timestamp) as charges_to_datetime,
        cast(null as timestamp) as charges_to_datetime_inclusive
    from billing_periods
    union all
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        charges_issuing_date as issuing_date,
        cast(null as timestamp) as from_datetime,
        cast(null as timestamp) as to_datetime,
        cast(null as timestamp) as to_datetime_inclusive,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive
    from billing_periods
),

items_grouped_by_day as (
    -- at most one fee period and one charges period per subscription and day
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        issuing_date,
        max(from_datetime) as fee_from_datetime,
        max(to_datetime) as fee_to_datetime,
        max(to_datetime_inclusive) as fee_to_datetime_inclusive,
        max(charges_from_datetime) as charges_from_datetime,
        max(charges_to_datetime) as charges_to_datetime,
        max(charges_to_datetime_inclusive) as charges_to_datetime_inclusive
    from billed_items
    where issuing_date < {{ billing_to_date() }}
    group by 1, 2, 3, 4, 5, 6
),

items_keyed_to_invoices as (
    select
        {{ subscription_invoice_id('external_customer_id', 'currency', 'issuing_date') }} as invoice_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        issuing_date,
        -- an invoice without the subscription fee (the charges of an
        -- in-advance plan's last period) shows the charges period
        coalesce(fee_from_datetime, charges_from_datetime) as from_datetime,
        coalesce(fee_to_datetime, charges_to_datetime) as to_datetime,
        coalesce(fee_to_datetime_inclusive, charges_to_datetime_inclusive) as to_datetime_inclusive,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive,
        fee_from_datetime is not null as has_subscription_fee
    from items_grouped_by_day
),

invoice_subscriptions as (
    select
        {{ surrogate_key(['invoice_id', 'subscription_id']) }} as invoice_subscription_id,
        *
    from items_keyed_to_invoices
)

select * from invoice_subscriptions
