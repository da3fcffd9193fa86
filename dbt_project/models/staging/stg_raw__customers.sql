with

source as (
    select * from {{ source('raw', 'customers') }}
),

renamed as (
    select
        ---------- ids
        external_id as external_customer_id,
        provider_customer_id,

        ---------- strings
        name as customer_name,
        email,
        -- currency, timezone, payment term and grace period fall back to the
        -- organization's in int_customers_resolved (a join, not staging work)
        currency,
        timezone,
        tax_identification_number,
        address_line1,
        address_line2,
        city,
        zipcode,
        state,
        country,
        document_locale,
        payment_provider,
        source_file,

        ---------- numerics
        net_payment_term as net_payment_term_days,
        invoice_grace_period as invoice_grace_period_days,

        ---------- json
        coalesce(metadata, cast('{}' as json)) as metadata

    from source
)

select * from renamed
