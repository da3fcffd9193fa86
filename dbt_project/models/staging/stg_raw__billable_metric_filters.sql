with

source as (
    select * from {{ source('raw', 'billable_metric_filters') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['billable_metric_code', 'key']) }} as billable_metric_filter_id,
        billable_metric_code,

        ---------- strings
        key as filter_key,
        source_file,

        ---------- json
        "values" as filter_values

    from source
)

select * from renamed
