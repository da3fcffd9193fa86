with

source as (
    select * from {{ source('raw', 'billable_metrics') }}
),

renamed as (
    select
        ---------- ids
        code as billable_metric_code,

        ---------- strings
        name as billable_metric_name,
        aggregation_type,
        -- count_agg ignores field_name (Lago's metric model clears it)
        case when aggregation_type = 'count_agg' then null else field_name end as field_name,
        weighted_interval,
        rounding_function,
        source_file,

        ---------- numerics
        rounding_precision,

        ---------- booleans
        coalesce(recurring, false) as is_recurring

    from source
)

select * from renamed
