with

source as (
    select * from {{ source('raw', 'wallet_transactions') }}
),

renamed as (
    select
        ---------- ids
        transaction_id as wallet_transaction_id,
        external_customer_id,
        wallet_code,

        ---------- strings
        source_file,

        ---------- numerics
        coalesce(paid_credits, cast(0 as {{ type_precise() }})) as paid_credits,
        coalesce(granted_credits, cast(0 as {{ type_precise() }})) as granted_credits,
        coalesce(voided_credits, cast(0 as {{ type_precise() }})) as voided_credits,

        ---------- timestamps
        created_at

    from source
)

select * from renamed
