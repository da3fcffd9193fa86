{#- Who has which taxes, as two CTEs for a model's `with` list (tax levels:
    reference/invoicing.md §3, int_fee_taxes_resolved):
    - `plan_tax_overrides`: the subscription versions whose plan_overrides
      replace the plan's taxes (`plan_tax_codes`; an empty list: no plan taxes,
      the next level decides), whose plan level is owner_type
      'subscription_plan', owner_id subscription_id;
    - `tax_assignments` (owner_type, owner_id, tax_code): the catalog's
      assignments (plan, minimum_commitment, charge, add_on, customer; a charge a
      subscription overrides has its own, catalog_rules) and those overrides. -#}
{% macro tax_assignment_ctes() -%}
plan_tax_overrides as (
    select
        subscription_id,
        plan_tax_codes
    from {{ ref('stg_raw__subscriptions') }}
    where plan_tax_codes is not null
),

tax_assignments as (
    select
        owner_type,
        owner_id,
        tax_code
    from {{ ref('stg_raw__tax_assignments') }}
    union all
    select
        'subscription_plan' as owner_type,
        subscription_id as owner_id,
        unnest(plan_tax_codes) as tax_code
    from plan_tax_overrides
)
{%- endmacro %}



{#- A fee's (or usage row's) tax columns from its summed taxes `alias`
    (taxes_rate, taxes_precise_amount_cents; no row: untaxed): the rate, the
    unrounded taxes, and taxes_amount_cents rounded once, half away from zero. -#}
{% macro tax_total_columns(alias) -%}
        coalesce({{ alias }}.taxes_rate, cast(0 as {{ type_precise() }})) as taxes_rate,
        coalesce(
            {{ alias }}.taxes_precise_amount_cents, cast(0 as {{ type_precise() }})
        ) as taxes_precise_amount_cents,
        cast(round(coalesce({{ alias }}.taxes_precise_amount_cents, 0), 0) as bigint)
            as taxes_amount_cents
{%- endmacro %}
