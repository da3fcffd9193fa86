{#- JSON and list helpers for metering (filters, pricing groups), DuckDB-specific,
    kept behind macros as DESIGN.md asks (other adapters raise until written). -#}

{#- The strings of a JSON array, as a list (["eu", 1] -> ['eu', '1']). -#}
{% macro json_string_list(json_array) -%}
    {{ return(adapter.dispatch('json_string_list')(json_array)) }}
{%- endmacro %}

{% macro duckdb__json_string_list(json_array) -%}
    json_extract_string({{ json_array }}, '$[*]')
{%- endmacro %}

{% macro default__json_string_list(json_array) -%}
    {{ exceptions.raise_compiler_error('json_string_list is not implemented for ' ~ adapter.type()) }}
{%- endmacro %}


{#- The keys of a JSON object, as a list in document order. -#}
{% macro json_object_keys(json_object) -%}
    {{ return(adapter.dispatch('json_object_keys')(json_object)) }}
{%- endmacro %}

{% macro duckdb__json_object_keys(json_object) -%}
    json_keys({{ json_object }})
{%- endmacro %}

{% macro default__json_object_keys(json_object) -%}
    {{ exceptions.raise_compiler_error('json_object_keys is not implemented for ' ~ adapter.type()) }}
{%- endmacro %}


{#- The value of one key of a JSON object as JSON (`key` is an expression). -#}
{% macro json_member(json_object, key) -%}
    {{ return(adapter.dispatch('json_member')(json_object, key)) }}
{%- endmacro %}

{% macro duckdb__json_member(json_object, key) -%}
    ({{ json_object }} -> {{ key }})
{%- endmacro %}

{% macro default__json_member(json_object, key) -%}
    ({{ json_object }} -> {{ key }})
{%- endmacro %}


{#- An event's pricing group as Lago's fee `grouped_by`: a JSON object text of
    each key (in the configured order) to the event's property text, null
    when absent or empty (Lago `prepare_grouped_result` maps '' to nil, and
    `apply_grouped_by_values` selects both with COALESCE(value, '') = '');
    '{}' without keys. Compact, so that equal groups give equal text. -#}
{% macro grouped_by_object(properties, keys) -%}
    {{ return(adapter.dispatch('grouped_by_object')(properties, keys)) }}
{%- endmacro %}

{% macro duckdb__grouped_by_object(properties, keys) -%}
    case
        when {{ keys }} is null or len({{ keys }}) = 0 then '{}'
        else cast(to_json(map_from_entries(list_transform(
            {{ keys }},
            lambda group_key: {'key': group_key, 'value': nullif({{ properties }} ->> group_key, '')}
        ))) as varchar)
    end
{%- endmacro %}

{% macro default__grouped_by_object(properties, keys) -%}
    {{ exceptions.raise_compiler_error('grouped_by_object is not implemented for ' ~ adapter.type()) }}
{%- endmacro %}


{#- The group of a period without events: every key null (Lago's
    BaseService empty_results under pricing groups), '{}' without keys. -#}
{% macro null_grouped_by_object(keys) -%}
    {{ return(adapter.dispatch('null_grouped_by_object')(keys)) }}
{%- endmacro %}

{% macro duckdb__null_grouped_by_object(keys) -%}
    case
        when {{ keys }} is null or len({{ keys }}) = 0 then '{}'
        else cast(to_json(map_from_entries(list_transform(
            {{ keys }},
            lambda group_key: {'key': group_key, 'value': cast(null as varchar)}
        ))) as varchar)
    end
{%- endmacro %}

{% macro default__null_grouped_by_object(keys) -%}
    {{ exceptions.raise_compiler_error('null_grouped_by_object is not implemented for ' ~ adapter.type()) }}
{%- endmacro %}


{#- A charge's (or a charge filter's) pricing group keys as a list:
    `pricing_group_keys`, else its deprecated alias `grouped_by` (Lago
    ChargeFilter#pricing_group_keys, Charge#pricing_group_keys); null without. -#}
{% macro pricing_group_keys(properties) -%}
    coalesce(
        nullif({{ json_string_list(json_member(properties, "'pricing_group_keys'")) }}, []),
        nullif({{ json_string_list(json_member(properties, "'grouped_by'")) }}, [])
    )
{%- endmacro %}


{#- Whether an event property is a usable number: Lago's plain-decimal rule
    (is_plain_decimal) and at most 20 integer digits, so that the DECIMAL(38, 12)
    cast and the sums over it cannot overflow (Lago's Postgres store has no
    limit; its ClickHouse store stops at Decimal(38, 26)). -#}
{% macro is_usable_decimal(text) -%}
    ({{ is_plain_decimal(text) }} and length(split_part(ltrim({{ text }}, '-'), '.', 1)) <= 20)
{%- endmacro %}


{#- The number a usable decimal text stands for, else null. -#}
{% macro usable_decimal(text) -%}
    case when {{ is_usable_decimal(text) }} then cast({{ text }} as {{ type_precise() }}) end
{%- endmacro %}


{#- The type of billing.usage units: Lago's aggregation keeps Postgres numeric
    precision (a weighted sum over 31 days has 16 decimals), more than the
    12 decimals priced (type_precise). -#}
{% macro type_usage_units() -%}
    decimal(38, 16)
{%- endmacro %}


{#- Integer division truncated toward zero (HUGEINT/BIGINT operands). -#}
{% macro integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro duckdb__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{% macro default__integer_divide(numerator, denominator) -%}
    div(({{ numerator }}), ({{ denominator }}))
{%- endmacro %}


{#- Microseconds since the Unix epoch of a timestamp, as BIGINT. -#}
{% macro epoch_microseconds(timestamp) -%}
    {{ return(adapter.dispatch('epoch_microseconds')(timestamp)) }}
{%- endmacro %}

{% macro duckdb__epoch_microseconds(timestamp) -%}
    epoch_us({{ timestamp }})
{%- endmacro %}

{% macro default__epoch_microseconds(timestamp) -%}
    cast(extract(epoch from {{ timestamp }}) * 1000000 as bigint)
{%- endmacro %}


{#- 10 ^ exponent as an exact HUGEINT, 0 <= exponent <= 22. -#}
{% macro power_of_ten_integer(exponent) -%}
    cast(power(10, ({{ exponent }})) as hugeint)
{%- endmacro %}


{#- The first of a charge's filters (a list sorted most specific first) that
    an event matches: for every key of the filter, the event's property text
    is one of the key's values (Lago ChargeFilters::EventMatchingService and
    postgres_store.rb#filters_scope). Null when none matches. -#}
{% macro first_matching_filter(properties, charge_filters) -%}
    {{ return(adapter.dispatch('first_matching_filter')(properties, charge_filters)) }}
{%- endmacro %}

{% macro duckdb__first_matching_filter(properties, charge_filters) -%}
    list_filter(
        {{ charge_filters }},
        lambda charge_filter: list_bool_and(list_transform(
            charge_filter.filter_conditions,
            lambda condition: coalesce(
                list_contains(condition.filter_values, {{ properties }} ->> condition.filter_key),
                false
            )
        ))
    )[1]
{%- endmacro %}

{% macro default__first_matching_filter(properties, charge_filters) -%}
    {{ exceptions.raise_compiler_error('first_matching_filter is not implemented for ' ~ adapter.type()) }}
{%- endmacro %}


{#- The first of a metric's filter keys (a list of {filter_key, filter_values})
    whose value an event carries but the metric does not list, as
    'key = value'; null when every carried value is listed. A key the event
    does not carry is fine. -#}
{% macro first_unlisted_filter_value(properties, metric_filters) -%}
    {{ return(adapter.dispatch('first_unlisted_filter_value')(properties, metric_filters)) }}
{%- endmacro %}

{% macro duckdb__first_unlisted_filter_value(properties, metric_filters) -%}
    list_transform(
        list_filter(
            {{ metric_filters }},
            lambda metric_filter: ({{ properties }} ->> metric_filter.filter_key) is not null
                and not list_contains(metric_filter.filter_values, {{ properties }} ->> metric_filter.filter_key)
        ),
        lambda metric_filter: metric_filter.filter_key || ' = ' || ({{ properties }} ->> metric_filter.filter_key)
    )[1]
{%- endmacro %}

{% macro default__first_unlisted_filter_value(properties, metric_filters) -%}
    {{ exceptions.raise_compiler_error('first_unlisted_filter_value is not implemented for ' ~ adapter.type()) }}
{%- endmacro %}
