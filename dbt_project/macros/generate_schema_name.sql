{#- Use the folder's schema as is (billing, staging, ...), not <target>_<schema>:
    the contract names the schemas `billing`, `analytics` and `payments`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
