-- Each customer with the organization's settings filled in where the
-- customer has none (Lago: Customer#applicable_timezone,
-- #applicable_invoice_grace_period, net_payment_term fallback to the billing
-- entity; reference/invoicing.md §7-8).

with

customers as (
    select
        external_customer_id,
        customer_name,
        currency,
        timezone,
        net_payment_term_days,
        invoice_grace_period_days
    from {{ ref('stg_raw__customers') }}
),

organizations as (
    select
        default_currency,
        timezone,
        net_payment_term_days,
        invoice_grace_period_days
    from {{ ref('stg_raw__organizations') }}
),

customers_with_defaults as (
    select
        customers.external_customer_id,
        customers.customer_name,
        -- the customer's own currency (null when the catalog gives none: then
        -- its plans' currency applies, see int_subscriptions_resolved)
        customers.currency,
        organizations.default_currency,
        coalesce(customers.timezone, organizations.timezone, 'UTC') as timezone,
        coalesce(
            customers.net_payment_term_days,
            organizations.net_payment_term_days,
            0
        ) as net_payment_term_days,
        coalesce(
            customers.invoice_grace_period_days,
            organizations.invoice_grace_period_days,
            0
        ) as invoice_grace_period_days
    from customers
    cross join organizations
)

select * from customers_with_defaults
