{#- Fails with one row per combination of the columns that occurs more than
    once: the primary-key test of a composite grain (dbt_utils'
    unique_combination_of_columns, which we cannot install). -#}
{% test unique_combination(model, combination_of_columns) %}

with

validation_errors as (
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
)

select * from validation_errors

{% endtest %}
