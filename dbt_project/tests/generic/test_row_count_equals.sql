{#- Fails unless the model has exactly `expected` rows. -#}
{% test row_count_equals(model, expected) %}

with

row_count as (
    select count(*) as actual
    from {{ model }}
)

select * from row_count
where actual <> {{ expected }}

{% endtest %}
