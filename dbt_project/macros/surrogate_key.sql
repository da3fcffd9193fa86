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


{#- The id of the priced running total of a pay-in-advance bucket (a usage row)
    at `units`: int_usage_priceable writes it, int_charges_in_advance_priced
    reads its price back. -#}
{% macro in_advance_snapshot_id(usage_id, units) -%}
    {{ surrogate_key(["'in_advance'", usage_id, 'cast(' ~ units ~ ' as ' ~ type_precise() ~ ')']) }}
{%- endmacro %}


{#- The id of the invoice of one pay-in-advance charge's fee for one event
    (Lago Invoices::CreatePayInAdvanceChargeService: an invoice per event and
    charge). -#}
{% macro advance_charge_invoice_id(charge_id, event_id) -%}
    {{ surrogate_key(["'advance_charges'", charge_id, event_id]) }}
{%- endmacro %}


{#- The id of the invoice of a subscription's pay-in-advance fees of one local day
    (organization billing_configuration.in_advance_charges_invoicing: daily). -#}
{% macro advance_charges_day_invoice_id(subscription_id, issuing_date) -%}
    {{ surrogate_key(["'advance_charges_daily'", subscription_id, issuing_date]) }}
{%- endmacro %}
