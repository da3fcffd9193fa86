-- The billable events of the weighted sum charges, by the charge period they are counted in
-- (their home period): the events int_usage_weighted_sum_aggregated sorts into each period's
-- running level. They are about 1% of int_usage_events_assigned in the benchmark, spread
-- over all of it: a scan of the assignment for them decodes every row, one of this table
-- reads theirs alone.
-- Incremental (macros/usage_increments.sql): a run appends the events assigned since the
-- last build (the "merge" is a union: a period keeps its rows and gains the new ones), and
-- lists again from all their events only the periods that lost events; every other
-- period's rows stay as they are.

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ usage_increment_prepare('home_charge_period_id') }}",
    post_hook="{{ usage_increment_record() }}",
) }}

with

events as (
    select
        home_charge_period_id as charge_period_id,
        charge_filter_id,
        grouped_by,
        occurred_at,
        received_at,
        source_file,
        source_row,
        aggregation_value
    from {{ usage_increment_events('home_charge_period_id') }} as events_assigned
    where
        aggregation_type = 'weighted_sum_agg'
        and home_charge_period_id is not null
        and is_valid
)

select * from events
{{ usage_increment_kept() }}
