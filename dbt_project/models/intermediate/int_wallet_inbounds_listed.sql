-- Every movement that fills (or voids) a prepaid-credit wallet, before any
-- consumption: the credits granted and purchased when the wallet is created
-- and every top-up or void of `wallet_transactions`, one row each, in
-- credits and in cents (credits x rate_amount, in the wallet currency's
-- minor units, rounded half away from zero; Lago app/models/wallet_credit.rb).
-- Granted credits are settled at once; purchased credits are taken as paid
-- when bought (payments are not built; Lago credits them when the credit
-- invoice is paid). Buying credits is never taxed. Voided credits leave the
-- wallet (outbound).

with

wallets as (
    select
        wallet_id,
        external_customer_id,
        wallet_code,
        currency,
        rate_amount,
        granted_credits,
        paid_credits,
        created_at
    from {{ ref('stg_raw__wallets') }}
),

wallet_transactions as (
    select
        wallet_transaction_id,
        external_customer_id,
        wallet_code,
        granted_credits,
        paid_credits,
        voided_credits,
        created_at
    from {{ ref('stg_raw__wallet_transactions') }}
),

movements as (
    select
        wallet_id,
        'wallet_created:' || 'granted' as source_id,
        'granted' as transaction_status,
        'inbound' as transaction_type,
        granted_credits as credits,
        created_at
    from wallets
    where granted_credits > 0
    union all
    select
        wallet_id,
        'wallet_created:' || 'purchased',
        'purchased',
        'inbound',
        paid_credits,
        created_at
    from wallets
    where paid_credits > 0
    union all
    select
        wallets.wallet_id,
        wallet_transactions.wallet_transaction_id || ':granted',
        'granted',
        'inbound',
        wallet_transactions.granted_credits,
        wallet_transactions.created_at
    from wallet_transactions
    inner join wallets
        on
            wallet_transactions.external_customer_id = wallets.external_customer_id
            and wallet_transactions.wallet_code = wallets.wallet_code
    where wallet_transactions.granted_credits > 0
    union all
    select
        wallets.wallet_id,
        wallet_transactions.wallet_transaction_id || ':purchased',
        'purchased',
        'inbound',
        wallet_transactions.paid_credits,
        wallet_transactions.created_at
    from wallet_transactions
    inner join wallets
        on
            wallet_transactions.external_customer_id = wallets.external_customer_id
            and wallet_transactions.wallet_code = wallets.wallet_code
    where wallet_transactions.paid_credits > 0
    union all
    select
        wallets.wallet_id,
        wallet_transactions.wallet_transaction_id || ':voided',
        'voided',
        'outbound',
        wallet_transactions.voided_credits,
        wallet_transactions.created_at
    from wallet_transactions
    inner join wallets
        on
            wallet_transactions.external_customer_id = wallets.external_customer_id
            and wallet_transactions.wallet_code = wallets.wallet_code
    where wallet_transactions.voided_credits > 0
),

movements_valued as (
    select
        {{ surrogate_key(['movements.wallet_id', 'movements.source_id']) }} as wallet_transaction_id,
        movements.wallet_id,
        wallets.external_customer_id,
        wallets.wallet_code,
        wallets.currency,
        movements.transaction_type,
        movements.transaction_status,
        cast(movements.credits as {{ type_precise() }}) as credits,
        {{ to_minor_units('cast(movements.credits * wallets.rate_amount as ' ~ type_precise() ~ ')', 'wallets.currency') }}
            as amount_cents,
        movements.created_at
    from movements
    inner join wallets
        on movements.wallet_id = wallets.wallet_id
)

select * from movements_valued
