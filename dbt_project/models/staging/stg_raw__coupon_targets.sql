with

source as (
    select * from {{ source('raw', 'coupon_targets') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['coupon_code', 'target_type', 'target_code']) }} as coupon_target_id,
        coupon_code,
        target_code,

        ---------- strings
        target_type,
        source_file

    from source
)

select * from renamed
