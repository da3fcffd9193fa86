with

source as (
    select * from {{ source('raw', 'plans') }}
),

renamed as (
    select
        ---------- ids
        code as plan_code,

        ---------- strings
        name as plan_name,
        invoice_display_name,
        interval as plan_interval,
        amount_currency,
        minimum_commitment_invoice_display_name,
        source_file,

        ---------- numerics
        coalesce(amount_cents, 0) as amount_cents,
        coalesce(trial_period, 0) as trial_period_days,
        minimum_commitment_amount_cents,

        ---------- booleans
        coalesce(pay_in_advance, false) as is_pay_in_advance,
        coalesce(bill_charges_monthly, false) as is_charges_billed_monthly

    from source
)

select * from renamed
