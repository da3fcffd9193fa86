with

source as (
    select * from {{ source('raw', 'wallets') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['external_customer_id', 'code']) }} as wallet_id,
        external_customer_id,
        code as wallet_code,

        ---------- strings
        name as wallet_name,
        currency,
        source_file,

        ---------- numerics
        coalesce(rate_amount, cast(1 as {{ type_precise() }})) as rate_amount,
        -- Lago: priority 1..50, default 50
        coalesce(priority, 50) as priority,
        coalesce(granted_credits, cast(0 as {{ type_precise() }})) as granted_credits,
        coalesce(paid_credits, cast(0 as {{ type_precise() }})) as paid_credits,

        ---------- booleans
        coalesce(invoice_requires_successful_payment, false) as is_payment_required_for_invoice,

        ---------- json
        coalesce(applies_to_fee_types, cast('[]' as json)) as applies_to_fee_types,
        coalesce(applies_to_billable_metric_codes, cast('[]' as json)) as applies_to_billable_metric_codes,

        ---------- timestamps
        created_at,
        expiration_at

    from source
)

select * from renamed
