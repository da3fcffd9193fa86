-- One-off invoices of the catalog issued before `to`, with their currency:
-- the invoice's own, else the customer's (Lago
-- app/services/invoices/create_one_off_service.rb).

with

one_off_invoices as (
    select
        one_off_invoice_external_id,
        external_customer_id,
        currency,
        issuing_date
    from {{ ref('stg_raw__one_off_invoices') }}
    where issuing_date < {{ billing_to_date() }}
),

customers as (
    select
        external_customer_id,
        currency,
        default_currency
    from {{ ref('int_customers_resolved') }}
),

one_off_invoices_resolved as (
    select
        {{ one_off_invoice_id('one_off_invoices.one_off_invoice_external_id') }} as invoice_id,
        one_off_invoices.one_off_invoice_external_id,
        one_off_invoices.external_customer_id,
        coalesce(
            one_off_invoices.currency,
            customers.currency,
            customers.default_currency
        ) as currency,
        one_off_invoices.issuing_date
    from one_off_invoices
    left join customers
        on one_off_invoices.external_customer_id = customers.external_customer_id
)

select * from one_off_invoices_resolved
