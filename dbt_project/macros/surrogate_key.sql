{#- A deterministic id: md5 of the natural key's parts, '|'-separated, nulls
    spelled '_null_' so (a, null) and (null, a) differ. The same idea as
    dbt_utils.generate_surrogate_key, which we cannot install (no dbt Hub). -#}
{% macro surrogate_key(fields) -%}
    {%- set parts = [] -%}
    {%- for field in fields -%}
        {%- do parts.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '_null_')") -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{#- The id of the subscription invoice of one customer, currency and billing
    day: Lago groups every subscription billed that day into one invoice
    (app/services/subscriptions/organization_billing_service.rb). Fees,
    invoice_subscriptions and usage all derive it here, so they always agree. -#}
{% macro subscription_invoice_id(external_customer_id, currency, issuing_date) -%}
    {{ surrogate_key(["'subscription'", external_customer_id, currency, issuing_date]) }}
{%- endmacro %}


{#- The id of a one-off invoice: its catalog identity. -#}
{% macro one_off_invoice_id(one_off_invoice_id) -%}
    {{ surrogate_key(["'one_off'", one_off_invoice_id]) }}
{%- endmacro %}
