-- Empty until the Wallets issue: it keeps the contract's columns and types.

with

wallet_transactions as (
    select
        wallet_transaction_id,
        external_customer_id,
        wallet_code,
        created_at
    from {{ ref('stg_raw__wallet_transactions') }}
),

final as (
    select
        wallet_transaction_id,
        external_customer_id,
        wallet_code,
        cast(null as varchar) as invoice_id,
        cast(null as varchar) as transaction_type,
        cast(null as varchar) as status,
        cast(null as {{ type_precise() }}) as credits,
        cast(null as bigint) as amount_cents,
        cast(null as varchar) as currency,
        created_at
    from wallet_transactions
    where false
)

select * from final
