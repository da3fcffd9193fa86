{#- JSON access, DuckDB-specific, kept behind macros for portability. -#}

{#- The text of one top-level key of a JSON object (a JSON string unquoted, a
    number in its shortest form, null when absent or JSON null). `key` is a SQL
    expression (a quoted literal or a column). -#}
{% macro json_text(json_column, key) -%}
    {{ return(adapter.dispatch('json_text')(json_column, key)) }}
{%- endmacro %}

{% macro duckdb__json_text(json_column, key) -%}
    ({{ json_column }} ->> {{ key }})
{%- endmacro %}

{% macro default__json_text(json_column, key) -%}
    ({{ json_column }} ->> {{ key }})
{%- endmacro %}


{#- Lago's numeric-field rule (app/services/events/stores/postgres_store.rb
    `numeric_condition`): a property counts as a number only when its text is
    a plain decimal, `^-?\d+(\.\d+)?$` ("1e3", ".5", "+5" do not). -#}
{% macro is_plain_decimal(text) -%}
    {{ return(adapter.dispatch('is_plain_decimal')(text)) }}
{%- endmacro %}

{% macro duckdb__is_plain_decimal(text) -%}
    coalesce(regexp_full_match({{ text }}, '-?[0-9]+(\.[0-9]+)?'), false)
{%- endmacro %}

{% macro default__is_plain_decimal(text) -%}
    coalesce({{ text }} ~ '^-?[0-9]+(\.[0-9]+)?$', false)
{%- endmacro %}
