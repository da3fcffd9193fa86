with

source as (
    select * from {{ source('raw', 'wallet_recurring_rules') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['external_customer_id', 'wallet_code', 'position']) }} as wallet_recurring_rule_id,
        {{ surrogate_key(['external_customer_id', 'wallet_code']) }} as wallet_id,

        ---------- strings
        trigger,
        interval,
        coalesce(method, 'fixed') as method,
        source_file,

        ---------- numerics
        position as rule_position,
        coalesce(paid_credits, cast(0 as {{ type_precise() }})) as paid_credits,
        coalesce(granted_credits, cast(0 as {{ type_precise() }})) as granted_credits,
        threshold_credits,
        target_ongoing_balance,

        ---------- timestamps
        started_at,
        expiration_at

    from source
)

select * from renamed
