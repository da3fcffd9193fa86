-- Warns, one row per catalog object, about what the catalog asks for that
-- billing does not implement yet (each names the issue that adds it), so a
-- gap is reported instead of silently mispriced. Remove a branch when its
-- issue lands.
{{ config(severity='warn') }}

with

charges as (
    select
        charge_id,
        is_pay_in_advance
    from {{ ref('stg_raw__charges') }}
),

unsupported_features as (
    select
        charge_id as object_id,
        'pay_in_advance charge' as feature,
        'Pay-in-advance charges' as issue
    from charges where is_pay_in_advance
)

select * from unsupported_features
