{#- Time zones and billing-period boundaries. Lago computes every boundary as
    a day of the customer's timezone (Customer#applicable_timezone: the
    customer's, else the organization's, else UTC) converted to UTC
    (Subscriptions::DatesService#customer_timezone_shift); timestamps are
    stored as naive UTC. DuckDB's ICU functions sit behind these macros. -#}

{#- A naive UTC timestamp as the wall-clock time of `timezone`. -#}
{% macro utc_to_local(utc_timestamp, timezone) -%}
    {{ return(adapter.dispatch('utc_to_local')(utc_timestamp, timezone)) }}
{%- endmacro %}

{% macro duckdb__utc_to_local(utc_timestamp, timezone) -%}
    timezone({{ timezone }}, timezone('UTC', cast({{ utc_timestamp }} as timestamp)))
{%- endmacro %}

{% macro default__utc_to_local(utc_timestamp, timezone) -%}
    (cast({{ utc_timestamp }} as timestamp) at time zone 'UTC' at time zone {{ timezone }})
{%- endmacro %}


{#- A wall-clock time of `timezone` as a naive UTC timestamp. -#}
{% macro local_to_utc(local_timestamp, timezone) -%}
    {{ return(adapter.dispatch('local_to_utc')(local_timestamp, timezone)) }}
{%- endmacro %}

{% macro duckdb__local_to_utc(local_timestamp, timezone) -%}
    timezone('UTC', timezone({{ timezone }}, cast({{ local_timestamp }} as timestamp)))
{%- endmacro %}

{% macro default__local_to_utc(local_timestamp, timezone) -%}
    (cast({{ local_timestamp }} as timestamp) at time zone {{ timezone }} at time zone 'UTC')
{%- endmacro %}


{#- The day of `timezone` an instant (naive UTC) falls on. -#}
{% macro local_date(utc_timestamp, timezone) -%}
    cast({{ utc_to_local(utc_timestamp, timezone) }} as date)
{%- endmacro %}


{#- The instant (naive UTC) a day of `timezone` starts. -#}
{% macro local_day_start(local_date_expr, timezone) -%}
    {{ local_to_utc('cast(' ~ local_date_expr ~ ' as timestamp)', timezone) }}
{%- endmacro %}


{#- Months in one period of a plan interval (null for weekly). -#}
{% macro interval_months(plan_interval) -%}
    case {{ plan_interval }}
        when 'monthly' then 1
        when 'quarterly' then 3
        when 'semiannual' then 6
        when 'yearly' then 12
    end
{%- endmacro %}


{#- Periods start on the days anchor + k intervals (k = 0, 1, ...; a month
    added to the 31st clamps to the month's last day, and every boundary is
    computed from the anchor, so a 31st anniversary comes back to the 31st).
    Calendar billing uses a fixed anchor that makes them the calendar
    boundaries: Mondays for weeks, January 1st for months, quarters (Jan, Apr,
    Jul, Oct), semesters (Jan, Jul) and years. Anniversary billing anchors on
    the day of subscription_at. -#}
{% macro period_anchor_date(billing_time, plan_interval, anniversary_date) -%}
    case
        when {{ billing_time }} = 'anniversary' then cast({{ anniversary_date }} as date)
        when {{ plan_interval }} = 'weekly' then cast('1970-01-05' as date)
        else cast('1970-01-01' as date)
    end
{%- endmacro %}


{#- The day period number `period_index` starts (see period_anchor_date). -#}
{% macro period_boundary_date(anchor_date, period_index, plan_interval) -%}
    cast(
        case
            when {{ plan_interval }} = 'weekly'
                then {{ dbt.dateadd('day', '7 * (' ~ period_index ~ ')', anchor_date) }}
            else {{ dbt.dateadd(
                'month', interval_months(plan_interval) ~ ' * (' ~ period_index ~ ')', anchor_date
            ) }}
        end
        as date
    )
{%- endmacro %}


{#- The number of the period that contains day `day` (on or after the
    anchor): whole intervals since the anchor, one less when the clamped
    boundary of that count falls after the day. -#}
{% macro period_index_of(day, anchor_date, plan_interval) -%}
    {%- set months_since = dbt.datediff(anchor_date, day, 'month') -%}
    {%- set whole = '(' ~ months_since ~ ') // ' ~ interval_months(plan_interval) -%}
    case
        when {{ plan_interval }} = 'weekly'
            then {{ dbt.datediff(anchor_date, day, 'day') }} // 7
        when {{ period_boundary_date(anchor_date, whole, plan_interval) }} > cast({{ day }} as date)
            then {{ whole }} - 1
        else {{ whole }}
    end
{%- endmacro %}


{#- Lago's day count (Utils::Datetime.date_diff_with_timezone): the days
    from one instant to another in `timezone`, a started day counting whole,
    and an end at local midnight counting that day too (Lago adds a second).
    `to_timestamp` is inclusive, as Lago's to_datetime (23:59:59 of the last
    day, or a termination instant). -#}
{% macro lago_days_between(from_timestamp, to_timestamp, timezone) -%}
    {%- set local_from = utc_to_local(from_timestamp, timezone) -%}
    {%- set local_to = utc_to_local(to_timestamp, timezone) -%}
    (
        (
            {{ dbt.datediff(local_from, local_to, 'second') }}
            + case when {{ local_to }} = {{ dbt.date_trunc('day', local_to) }} then 1 else 0 end
            + 86399
        ) // 86400
    )
{%- endmacro %}
