with

source as (
    select * from {{ source('raw', 'organization') }}
),

renamed as (
    select
        ---------- ids
        -- one billing entity for now (raw.organization always has one row)
        cast('default' as varchar) as organization_id,

        ---------- strings
        name as organization_name,
        coalesce(default_currency, 'USD') as default_currency,
        coalesce(timezone, 'UTC') as timezone,
        coalesce(document_numbering, 'per_customer') as document_numbering,
        -- Lago's default prefix derives from the name and id; ours is RB
        coalesce(document_number_prefix, 'RB') as document_number_prefix,
        tax_identification_number,
        email,
        address_line1,
        address_line2,
        city,
        zipcode,
        state,
        country,
        logo_url,
        document_locale,
        invoice_footer,
        -- per_event (Lago: an invoice per event of a pay-in-advance charge) or daily
        -- (one per subscription and local day)
        coalesce(in_advance_charges_invoicing, 'per_event') as in_advance_charges_invoicing,
        source_file,

        ---------- numerics
        coalesce(net_payment_term, 0) as net_payment_term_days,
        coalesce(invoice_grace_period, 0) as invoice_grace_period_days

    from source
)

select * from renamed
