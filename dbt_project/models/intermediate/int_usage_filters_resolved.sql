-- Every bucket a charge's usage is split into (Lago Fees::ChargeService#init_fees,
-- reference/metering-and-pricing.md §4): one per charge filter, priced with
-- the filter's own properties, plus the default bucket (charge_filter_id
-- null) for the events that match no filter, priced with the charge's
-- properties. A charge without filters has the default bucket only.
-- Each bucket is aggregated per pricing group: a filter groups by its own
-- pricing_group_keys (or grouped_by), the default bucket by the charge's.

with

charges as (
    select
        charge_id,
        billable_metric_code,
        properties
    from {{ ref('stg_raw__charges') }}
),

charge_filters as (
    select
        charge_filter_id,
        charge_id,
        charge_filter_position,
        invoice_display_name,
        filter_values,
        properties
    from {{ ref('stg_raw__charge_filters') }}
),

billable_metric_filters as (
    select
        billable_metric_code,
        filter_key,
        filter_values
    from {{ ref('stg_raw__billable_metric_filters') }}
),

charge_filter_keys as (
    -- one row per filter and key, in the order the filter lists its keys
    select
        charge_filters.charge_filter_id,
        charge_filters.charge_id,
        filter_keys.filter_key,
        filter_keys.key_position,
        {{ json_string_list(json_member('charge_filters.filter_values', 'filter_keys.filter_key')) }}
            as listed_values
    from charge_filters
    cross join unnest({{ json_object_keys('charge_filters.filter_values') }})
        with ordinality as filter_keys (filter_key, key_position)
),

charge_filter_keys_expanded as (
    -- __ALL_FILTER_VALUES__ stands for every value the metric lists for the
    -- key (Lago ChargeFilter#to_h_with_all_values); the invoice name shows the
    -- key instead (ChargeFilter#display_name)
    select
        charge_filter_keys.charge_filter_id,
        charge_filter_keys.filter_key,
        charge_filter_keys.key_position,
        charge_filter_keys.listed_values = ['__ALL_FILTER_VALUES__'] as is_all_values,
        case
            when charge_filter_keys.listed_values = ['__ALL_FILTER_VALUES__']
                then {{ json_string_list('billable_metric_filters.filter_values') }}
            else charge_filter_keys.listed_values
        end as matched_values,
        case
            when charge_filter_keys.listed_values = ['__ALL_FILTER_VALUES__']
                then charge_filter_keys.filter_key
            else array_to_string(charge_filter_keys.listed_values, ', ')
        end as display_part
    from charge_filter_keys
    inner join charges
        on charge_filter_keys.charge_id = charges.charge_id
    left join billable_metric_filters
        on
            charges.billable_metric_code = billable_metric_filters.billable_metric_code
            and charge_filter_keys.filter_key = billable_metric_filters.filter_key
),

charge_filters_summarized as (
    select
        charge_filter_id,
        count(*) as filter_keys_count,
        sum(len(matched_values)) as filter_values_count,
        string_agg(display_part, ', ' order by key_position) as values_display_name,
        -- [{filter_key, filter_values}]: the values every key of the filter matches
        list(
            {'filter_key': filter_key, 'filter_values': matched_values} order by key_position
        ) as filter_conditions
    from charge_filter_keys_expanded
    group by 1
),

filter_buckets as (
    select
        {{ surrogate_key(['charge_filters.charge_id', 'charge_filters.charge_filter_id']) }}
            as usage_filter_id,
        charge_filters.charge_id,
        charge_filters.charge_filter_id,
        charge_filters.charge_filter_position,
        coalesce(
            nullif(charge_filters.invoice_display_name, ''),
            charge_filters_summarized.values_display_name
        ) as filter_display_name,
        charge_filters.properties as pricing_properties,
        {{ pricing_group_keys('charge_filters.properties') }} as pricing_group_keys,
        coalesce(charge_filters_summarized.filter_keys_count, 0) as filter_keys_count,
        coalesce(charge_filters_summarized.filter_values_count, 0) as filter_values_count,
        charge_filters_summarized.filter_conditions
    from charge_filters
    left join charge_filters_summarized
        on charge_filters.charge_filter_id = charge_filters_summarized.charge_filter_id
),

default_buckets as (
    select
        {{ surrogate_key(['charge_id', 'null']) }} as usage_filter_id,
        charge_id,
        cast(null as varchar) as charge_filter_id,
        cast(null as integer) as charge_filter_position,
        cast(null as varchar) as filter_display_name,
        properties as pricing_properties,
        {{ pricing_group_keys('properties') }} as pricing_group_keys,
        0 as filter_keys_count,
        0 as filter_values_count,
        cast(null as struct(filter_key varchar, filter_values varchar[])[]) as filter_conditions
    from charges
),

buckets as (
    select * from filter_buckets
    union all
    select * from default_buckets
)

select * from buckets
