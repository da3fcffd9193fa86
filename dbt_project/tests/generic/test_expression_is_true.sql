{#- Fails with every row where the boolean SQL expression is not true (on a
    model or, the same, on one of its columns). -#}
{% test expression_is_true(model, expression, column_name=none) %}

with

validation_errors as (
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
)

select * from validation_errors

{% endtest %}
