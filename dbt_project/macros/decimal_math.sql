{#- Exact decimal arithmetic. DuckDB turns DECIMAL / DECIMAL into DOUBLE,
    which money must never be, so division and scaling by a power of ten that
    varies per row are done here, exactly. -#}

{#- The precise type: every unrounded amount, unit count and rate. -#}
{% macro type_precise() -%}
    decimal(38, 12)
{%- endmacro %}


{#- numerator / denominator as DECIMAL(38, 12), rounded half away from zero at
    the 12th decimal. Both operands must have at most 12 decimals and an
    absolute value below 10^14. Returns null when the denominator is 0. -#}
{% macro divide_decimal(numerator, denominator) -%}
    {{ return(adapter.dispatch('divide_decimal')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__divide_decimal(numerator, denominator) -%}
    cast(
        cast({{ numerator }} as numeric(38, 12))
        / nullif(cast({{ denominator }} as numeric(38, 12)), 0)
        as {{ type_precise() }}
    )
{%- endmacro %}

{% macro duckdb__divide_decimal(numerator, denominator) -%}
    {#- Scale both operands to integers (x 10^12), integer-divide with a
        half-denominator bias on absolute values, restore sign and scale. -#}
    (
        cast(
            sign(cast({{ numerator }} as decimal(38, 12)))
            * sign(cast({{ denominator }} as decimal(38, 12)))
            * (
                (
                    abs(cast(cast({{ numerator }} as decimal(38, 12)) * 1000000000000 as hugeint))
                    * cast(1000000000000 as hugeint)
                    + abs(cast(cast({{ denominator }} as decimal(38, 12)) * 1000000000000 as hugeint)) // 2
                )
                // nullif(abs(cast(cast({{ denominator }} as decimal(38, 12)) * 1000000000000 as hugeint)), 0)
            )
            as decimal(38, 0)
        )
        * cast('0.000000000001' as decimal(38, 12))
    )
{%- endmacro %}


{#- 10 ^ exponent as an exact DECIMAL(38, 12), for -12 <= exponent <= 25. -#}
{% macro power_of_ten(exponent) -%}
    {{ return(adapter.dispatch('power_of_ten')(exponent)) }}
{%- endmacro %}

{% macro default__power_of_ten(exponent) -%}
    cast(concat('1e', cast({{ exponent }} as {{ dbt.type_string() }})) as {{ type_precise() }})
{%- endmacro %}


{#- A billable metric's rounding of aggregated units
    (app/services/billable_metrics/aggregations/apply_rounding_service.rb):
    round (half away from zero), ceil or floor at `precision` decimals (null
    means 0, negative rounds to tens, hundreds...); any other function leaves
    the value as it is. -#}
{% macro apply_metric_rounding(value, rounding_function, rounding_precision) -%}
    {%- set precision = "coalesce(" ~ rounding_precision ~ ", 0)" -%}
    {%- set scaled = "cast(" ~ value ~ " * " ~ power_of_ten(precision) ~ " as " ~ type_precise() ~ ")" -%}
    {%- set unscale = power_of_ten("-" ~ precision) -%}
    case {{ rounding_function }}
        when 'round' then cast(round({{ scaled }}, 0) * {{ unscale }} as {{ type_precise() }})
        when 'ceil' then cast(ceil({{ scaled }}) * {{ unscale }} as {{ type_precise() }})
        when 'floor' then cast(floor({{ scaled }}) * {{ unscale }} as {{ type_precise() }})
        else cast({{ value }} as {{ type_precise() }})
    end
{%- endmacro %}
