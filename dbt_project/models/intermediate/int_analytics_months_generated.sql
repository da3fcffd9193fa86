-- The months analytics reports on: from the month of the earliest subscription
-- start to the month that contains as_of, when that month has begun. A month
-- is measured at its end (CONTRACT §3: "a month end is when MRR is measured");
-- the month still running at as_of is measured at as_of, never later, so no
-- row uses anything the run cannot know yet.

{%- set max_months = 600 %}
{#- The spine counts back from as_of with dbt's portable generate_series: at
    most 600 months (50 years) of history, far more than Lago's own MRR keeps
    (it drops subscriptions started before 2020). #}

with

subscriptions as (
    select started_at
    from {{ ref('int_mrr_subscriptions_normalized') }}
),

first_month as (
    select cast({{ dbt.date_trunc('month', 'min(started_at)') }} as date) as month
    from subscriptions
),

month_offsets as (
    select cast(generated_number as integer) - 1 as months_back
    from ({{ dbt.generate_series(max_months) }}) as series
),

months_counted_back_from_as_of as (
    select
        cast(
            {{ dbt.dateadd('month', '-month_offsets.months_back', dbt.date_trunc('month', billing_as_of())) }}
            as date
        ) as month
    from month_offsets
),

months_measured as (
    select
        months_counted_back_from_as_of.month,
        cast({{ dbt.dateadd('month', 1, 'months_counted_back_from_as_of.month') }} as timestamp)
            as next_month_start_at,
        least(
            cast({{ dbt.dateadd('month', 1, 'months_counted_back_from_as_of.month') }} as timestamp),
            {{ billing_as_of() }}
        ) as measured_at
    from months_counted_back_from_as_of
    inner join first_month
        on months_counted_back_from_as_of.month >= first_month.month
    -- a month that starts at or after as_of has not begun
    where cast(months_counted_back_from_as_of.month as timestamp) < {{ billing_as_of() }}
),

final as (
    select
        month,
        next_month_start_at,
        measured_at,
        measured_at = next_month_start_at as is_complete
    from months_measured
)

select * from final
