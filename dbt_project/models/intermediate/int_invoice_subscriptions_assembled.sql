-- One row per subscription invoice x subscription version: what each invoice
-- bills for each subscription, the subscription fee's period and the
-- charges' period.
--
-- An invoice is everything billed for one customer and currency at one
-- instant (Lago: organization_billing_service.rb groups every subscription
-- of a customer billed by the same run; reference invoicing.md §8-10):
-- - the periodic run at a period boundary (local midnight): in-arrears fees
--   and every charges period that just ended, in-advance fees of the period
--   starting (the fee of the period starting, the charges of the one ended);
-- - the start of an in-advance subscription (subscription_starting);
-- - a termination, or a plan change (the old version's last charges and fee,
--   the new version's first in-advance fee: one invoice);
-- - the end of a trial of an in-advance plan (its prorated fee).
-- So a customer can get several invoices on one day, one per instant.
-- issuing_date is the day of that instant in the customer's timezone.
-- Fees and commitments find their invoice by (subscription, billed_at).

with

subscriptions as (
    select
        subscription_id,
        timezone
    from {{ ref('int_subscriptions_resolved') }}
),

billing_periods as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        charges_billed_at,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive
    from {{ ref('int_billing_periods_generated') }}
),

subscription_fees as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        billed_at,
        from_datetime,
        to_datetime,
        to_datetime_inclusive
    from {{ ref('int_subscription_fees_computed') }}
),

billed_items as (
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        billed_at,
        from_datetime,
        to_datetime,
        to_datetime_inclusive,
        cast(null as timestamp) as charges_from_datetime,
        cast(null as timestamp) as charges_to_datetime,
        cast(null as timestamp) as charges_to_datetime_inclusive
    from subscription_fees
    union all
    select
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        charges_billed_at as billed_at,
        cast(null as timestamp) as from_datetime,
        cast(null as timestamp) as to_datetime,
        cast(null as timestamp) as to_datetime_inclusive,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive
    from billing_periods
),

items_grouped_by_instant as (
    -- at most one fee period and one charges period per subscription and instant
    select
        billed_items.subscription_id,
        billed_items.external_subscription_id,
        billed_items.external_customer_id,
        billed_items.plan_code,
        billed_items.currency,
        billed_items.billed_at,
        {{ local_date('billed_items.billed_at', 'subscriptions.timezone') }} as issuing_date,
        max(billed_items.from_datetime) as fee_from_datetime,
        max(billed_items.to_datetime) as fee_to_datetime,
        max(billed_items.to_datetime_inclusive) as fee_to_datetime_inclusive,
        max(billed_items.charges_from_datetime) as charges_from_datetime,
        max(billed_items.charges_to_datetime) as charges_to_datetime,
        max(billed_items.charges_to_datetime_inclusive) as charges_to_datetime_inclusive
    from billed_items
    inner join subscriptions
        on billed_items.subscription_id = subscriptions.subscription_id
    group by 1, 2, 3, 4, 5, 6, 7
),

items_issued as (
    select
        *,
        -- the first invoice of a customer's day keeps the id of the day
        -- (subscription_invoice_id), which billing.usage derives from the
        -- issuing date; later ones of the same day are keyed by their instant
        dense_rank() over (
            partition by external_customer_id, currency, issuing_date
            order by billed_at
        ) as invoice_of_day
    from items_grouped_by_instant
    -- issued on a day before `to`, and made by as_of (west of UTC a local
    -- day ends after as_of: its late invoices wait for the next run)
    where
        issuing_date < {{ billing_to_date() }}
        and billed_at < {{ billing_as_of() }}
),

items_keyed_to_invoices as (
    select
        case
            when invoice_of_day = 1
                then {{ subscription_invoice_id('external_customer_id', 'currency', 'issuing_date') }}
            else {{ surrogate_key(["'subscription'", 'external_customer_id', 'currency', 'billed_at']) }}
        end as invoice_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        currency,
        issuing_date,
        billed_at,
        -- an invoice without the subscription fee (the charges of an
        -- in-advance plan's last period) shows the charges period
        coalesce(fee_from_datetime, charges_from_datetime) as from_datetime,
        coalesce(fee_to_datetime, charges_to_datetime) as to_datetime,
        coalesce(fee_to_datetime_inclusive, charges_to_datetime_inclusive) as to_datetime_inclusive,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive,
        fee_from_datetime is not null as has_subscription_fee
    from items_issued
),

invoice_subscriptions as (
    select
        {{ surrogate_key(['invoice_id', 'subscription_id']) }} as invoice_subscription_id,
        *
    from items_keyed_to_invoices
)

select * from invoice_subscriptions
