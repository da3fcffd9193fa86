-- Every aggregation family's rows in one relation: one model per family
-- (add a family by adding its model here). Only buckets and groups with
-- usage are here; int_usage_aggregated completes every bucket and period.
{{ config(materialized='view') }}

with

usage_by_family as (
    select * from {{ ref('int_usage_count_aggregated') }}
    union all
    select * from {{ ref('int_usage_sum_aggregated') }}
    union all
    select * from {{ ref('int_usage_max_aggregated') }}
    union all
    select * from {{ ref('int_usage_latest_aggregated') }}
    union all
    select * from {{ ref('int_usage_unique_count_aggregated') }}
    union all
    -- (its columns named: it keeps two more, for its increments)
    select charge_period_id, charge_filter_id, grouped_by, units, events_count
    from {{ ref('int_usage_weighted_sum_aggregated') }}
)

select * from usage_by_family
