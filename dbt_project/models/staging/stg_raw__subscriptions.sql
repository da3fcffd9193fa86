with

source as (
    select * from {{ source('raw', 'subscriptions') }}
),

renamed as (
    select
        ---------- ids
        -- a row is one version of a subscription: (external_id, created_at)
        {{ surrogate_key(['external_id', 'created_at']) }} as subscription_id,
        external_id as external_subscription_id,
        external_customer_id,
        plan_code,

        ---------- strings
        name as subscription_name,
        coalesce(billing_time, 'calendar') as billing_time,
        coalesce(on_termination_credit_note, 'credit') as on_termination_credit_note,
        source_file,

        ---------- json
        coalesce(plan_overrides, cast('{}' as json)) as plan_overrides,
        -- null: the plan's taxes apply; a list (maybe empty) replaces them
        cast(plan_tax_codes as varchar[]) as plan_tax_codes,

        ---------- timestamps
        created_at,
        coalesce(subscription_at, created_at) as subscription_at,
        ending_at,
        terminated_at

    from source
)

select * from renamed
