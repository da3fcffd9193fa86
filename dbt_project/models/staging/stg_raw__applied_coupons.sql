with

source as (
    select * from {{ source('raw', 'applied_coupons') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['external_customer_id', 'coupon_code', 'created_at']) }} as applied_coupon_id,
        external_customer_id,
        coupon_code,

        ---------- strings
        -- overrides of the coupon's own terms; null means the coupon's
        amount_currency,
        frequency,
        source_file,

        ---------- numerics
        amount_cents,
        percentage_rate,
        frequency_duration,

        ---------- timestamps
        created_at

    from source
)

select * from renamed
