with

usage as (
    select * from {{ ref('int_usage_aggregated') }}
),

final as (
    select
        usage_id,
        external_subscription_id,
        subscription_id,
        external_customer_id,
        plan_code,
        billable_metric_code as code,
        aggregation_type,
        charge_id,
        charge_model,
        charge_filter_id,
        filter_display_name,
        grouped_by,
        -- Lago's inclusive end; the engine's half-open end beside it
        charges_from_datetime as from_datetime,
        charges_to_datetime_inclusive as to_datetime,
        charges_to_datetime as to_datetime_exclusive,
        -- Lago's aggregation after the metric's rounding, up to 16 decimals
        -- (fees price it at 12)
        precise_units as units,
        events_count,
        charges_issuing_date as issuing_date,
        -- the invoice that bills this period's charges, once issued
        case
            when is_invoiceable and charges_issuing_date < {{ billing_to_date() }}
                then {{ subscription_invoice_id('external_customer_id', 'currency', 'charges_issuing_date') }}
        end as invoice_id
    from usage
)

select * from final
