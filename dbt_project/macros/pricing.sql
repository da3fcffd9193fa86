{#- Helpers for the charge models (int_charges_priced_*): Lago keeps a
    model's tiers as a JSON array in the charge's properties
    (`graduated_ranges`, `volume_ranges`, `graduated_percentage_ranges`). -#}

{#- Expands each row into `row_count` rows numbered 0 .. row_count - 1: use
    in a select list (`{{ row_indexes('n') }} as row_index`); 0 or null
    gives no row. -#}
{% macro row_indexes(row_count) -%}
    {{ return(adapter.dispatch('row_indexes')(row_count)) }}
{%- endmacro %}

{% macro duckdb__row_indexes(row_count) -%}
    unnest(range(cast(coalesce({{ row_count }}, 0) as bigint)))
{%- endmacro %}

{% macro default__row_indexes(row_count) -%}
    generate_series(0, cast({{ row_count }} as bigint) - 1)
{%- endmacro %}


{#- One row per element of a JSON array, as its 0-based index (see
    row_indexes); a null or empty array gives no row. -#}
{% macro json_array_indexes(json_array) -%}
    {{ row_indexes('json_array_length(' ~ json_array ~ ')') }}
{%- endmacro %}


{#- The element at a 0-based index of a JSON array, as JSON. -#}
{% macro json_array_element(json_array, index) -%}
    {{ return(adapter.dispatch('json_array_element')(json_array, index)) }}
{%- endmacro %}

{% macro duckdb__json_array_element(json_array, index) -%}
    ({{ json_array }} -> cast({{ index }} as bigint))
{%- endmacro %}

{% macro default__json_array_element(json_array, index) -%}
    ({{ json_array }} -> cast({{ index }} as integer))
{%- endmacro %}


{#- A decimal property of a charge (Lago sends decimal strings such as
    "5.12345", and bounds as JSON numbers) as the precise type; null when
    absent or JSON null. -#}
{% macro json_decimal(json_column, key) -%}
    cast({{ json_text(json_column, key) }} as {{ type_precise() }})
{%- endmacro %}


{#- Round up to 5 decimals, as Lago's `.ceil(5)` on prorated aggregations. -#}
{% macro ceil_to_5_decimals(value) -%}
    cast(ceil(cast({{ value }} as {{ type_precise() }}) * 100000) * cast('0.00001' as decimal(38, 5)) as {{ type_precise() }})
{%- endmacro %}


{#- The ranges (tiers) of a graduated, volume or graduated-percentage charge,
    one row per usage and range in catalog order: two CTEs for a model's `with`
    list, `ranges_unnested` and `ranges_parsed` (usage_id, units, range_index,
    from_value, to_value (null: open-ended) and each amount key given, 0 when
    absent). `source` is a CTE with usage_id, units and `ranges` (the JSON
    array). -#}
{% macro pricing_range_ctes(source, amount_keys) -%}
ranges_unnested as (
    select
        usage_id,
        units,
        ranges,
        {{ json_array_indexes('ranges') }} as range_index
    from {{ source }}
),

ranges_parsed as (
    select
        usage_id,
        units,
        range_index,
        {{ json_decimal(json_array_element('ranges', 'range_index'), "'from_value'") }} as from_value,
        {{ json_decimal(json_array_element('ranges', 'range_index'), "'to_value'") }} as to_value
        {%- for key in amount_keys %},
        coalesce({{ json_decimal(json_array_element('ranges', 'range_index'), "'" ~ key ~ "'") }}, 0) as {{ key }}
        {%- endfor %}
    from ranges_unnested
)
{%- endmacro %}


{#- The percentage model's amount of `units` over `events` events, given the
    free units and free events of their running totals (Lago
    ChargeModels::PercentageService): (units - free units) x rate, none when the
    free units cover them, + paying events x fixed_amount, none without units.
    Reads rate_fraction and fixed_amount from the row. -#}
{% macro percentage_prefix_amount(units, events, free_units, free_events) -%}
    cast(
        case
            when {{ free_units }} > {{ units }} then 0
            else ({{ units }} - {{ free_units }}) * rate_fraction
        end
        + case
            when {{ units }} = 0 or {{ free_events }} >= {{ events }} then 0
            else ({{ events }} - {{ free_events }}) * fixed_amount
        end
        as {{ type_precise() }}
    )
{%- endmacro %}


{#- An amount held within a per-transaction minimum and maximum (either may be
    null: no bound). -#}
{% macro clamp_amount(amount, min_amount, max_amount) -%}
    case
        when {{ amount }} < {{ min_amount }} then {{ min_amount }}
        when {{ amount }} > {{ max_amount }} then {{ max_amount }}
        else {{ amount }}
    end
{%- endmacro %}


{#- Whether a charge bills each event on receipt: pay in advance, on a metric
    Lago lets pay in advance (count, sum, unique count) and a model it can
    price per event (not volume). Any other pay-in-advance charge is billed
    with its period, and assert_catalog_uses_only_supported_features warns. -#}
{% macro is_billed_per_event(is_pay_in_advance, aggregation_type, charge_model) -%}
    (
        {{ is_pay_in_advance }}
        and {{ aggregation_type }} in ('count_agg', 'sum_agg', 'unique_count_agg')
        and {{ charge_model }} in (
            'standard', 'package', 'graduated', 'graduated_percentage', 'percentage', 'dynamic'
        )
    )
{%- endmacro %}


{#- The percentage model's properties, as columns: rate_fraction (the percent /
    100), fixed_amount, free_units_per_events, free_units_per_total_aggregation
    (0 when absent) and the per-transaction bounds (null when absent). -#}
{% macro percentage_property_columns(properties) -%}
    {{ divide_decimal(
        'coalesce(' ~ json_decimal(properties, "'rate'") ~ ', 0)', 100
    ) }} as rate_fraction,
    coalesce({{ json_decimal(properties, "'fixed_amount'") }}, 0) as fixed_amount,
    cast(
        coalesce({{ json_decimal(properties, "'free_units_per_events'") }}, 0) as bigint
    ) as free_units_per_events,
    coalesce(
        {{ json_decimal(properties, "'free_units_per_total_aggregation'") }}, 0
    ) as free_units_per_total_aggregation,
    {{ json_decimal(properties, "'per_transaction_min_amount'") }} as per_transaction_min_amount,
    {{ json_decimal(properties, "'per_transaction_max_amount'") }} as per_transaction_max_amount
{%- endmacro %}
