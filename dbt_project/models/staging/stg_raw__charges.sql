with

source as (
    select * from {{ source('raw', 'charges') }}
),

renamed as (
    select
        ---------- ids
        charge_id,
        -- a charge a subscription overrides is a copy of its plan charge tied to
        -- that subscription version (Lago Plans::OverrideService's child plan)
        parent_charge_id,
        case
            when subscription_external_id is not null
                then {{ surrogate_key(['subscription_external_id', 'subscription_created_at']) }}
        end as subscription_id,
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
