with

source as (
    select * from {{ source('raw', 'coupons') }}
),

renamed as (
    select
        ---------- ids
        code as coupon_code,

        ---------- strings
        name as coupon_name,
        coupon_type,
        amount_currency,
        coalesce(frequency, 'once') as frequency,
        coalesce(expiration, 'no_expiration') as expiration,
        source_file,

        ---------- numerics
        amount_cents,
        percentage_rate,
        frequency_duration,

        ---------- booleans
        coalesce(reusable, true) as is_reusable,

        ---------- timestamps
        expiration_at

    from source
)

select * from renamed
