with

source as (
    select * from {{ source('raw', 'charges') }}
),

renamed as (
    select
        ---------- ids
        charge_id,
        plan_code,
        billable_metric_code,

        ---------- strings
        charge_model,
        invoice_display_name,
        source_file,

        ---------- numerics
        position as charge_position,
        coalesce(min_amount_cents, 0) as min_amount_cents,

        ---------- booleans
        coalesce(pay_in_advance, false) as is_pay_in_advance,
        coalesce(invoiceable, true) as is_invoiceable,
        coalesce(prorated, false) as is_prorated,

        ---------- json
        coalesce(properties, cast('{}' as json)) as properties

    from source
)

select * from renamed
