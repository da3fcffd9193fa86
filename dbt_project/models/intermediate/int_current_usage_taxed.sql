-- Every row of current usage with the taxes its charge fee would take
-- (Lago Invoices::CustomerUsageService#compute_amounts runs
-- Fees::ApplyTaxesService on each usage fee). The levels and their order are
-- int_fee_taxes_resolved's for a charge fee, which reads invoiced fees only
-- and so cannot be reused as is:
-- - the first level that has taxes wins, levels are never merged: the charge
--   (an overridden charge copy has its own, catalog_rules), the plan (the
--   subscription version's plan_overrides tax_codes when given, an empty list
--   meaning none), the customer, then the organization's default taxes;
-- - a level with a 0 % tax is a level with taxes (it wins, taxing 0);
-- - the base is the amount in cents (current usage applies no coupon); each
--   tax is base x rate / 100, unrounded; taxes_rate is the sum of the rates,
--   taxes_amount_cents the sum of the unrounded taxes rounded once, half away
--   from zero, as for a fee (int_fees_taxed).

with

current_usage as (
    select * from {{ ref('int_current_usage_selected') }}
),

{{ tax_assignment_ctes() }},

taxes as (
    select
        tax_code,
        tax_rate,
        is_applied_to_organization
    from {{ ref('stg_raw__taxes') }}
),

usage_tax_owners as (
    -- every level a charge fee can take taxes from, by precedence (1 wins)
    select
        usage_id,
        1 as tax_level,
        'charge' as owner_type,
        charge_id as owner_id
    from current_usage
    union all
    select
        current_usage.usage_id,
        2 as tax_level,
        case when plan_tax_overrides.subscription_id is null then 'plan' else 'subscription_plan' end
            as owner_type,
        coalesce(plan_tax_overrides.subscription_id, current_usage.plan_code) as owner_id
    from current_usage
    left join plan_tax_overrides
        on current_usage.subscription_id = plan_tax_overrides.subscription_id
    union all
    select
        usage_id,
        3 as tax_level,
        'customer' as owner_type,
        external_customer_id as owner_id
    from current_usage
),

candidate_taxes as (
    select
        usage_tax_owners.usage_id,
        usage_tax_owners.tax_level,
        tax_assignments.tax_code
    from usage_tax_owners
    inner join tax_assignments
        on
            usage_tax_owners.owner_type = tax_assignments.owner_type
            and usage_tax_owners.owner_id = tax_assignments.owner_id
    union all
    select
        current_usage.usage_id,
        4 as tax_level,
        taxes.tax_code
    from current_usage
    cross join taxes
    where taxes.is_applied_to_organization
),

chosen_taxes as (
    select distinct
        usage_id,
        tax_code
    from candidate_taxes
    qualify tax_level = min(tax_level) over (partition by usage_id)
),

usage_taxes as (
    select
        chosen_taxes.usage_id,
        cast(sum(taxes.tax_rate) as {{ type_precise() }}) as taxes_rate,
        cast(
            sum(
                cast(
                    cast(current_usage.amount_cents * taxes.tax_rate as {{ type_precise() }})
                    * cast(0.01 as decimal(3, 2))
                    as {{ type_precise() }}
                )
            ) as {{ type_precise() }}
        ) as taxes_precise_amount_cents
    from chosen_taxes
    inner join current_usage
        on chosen_taxes.usage_id = current_usage.usage_id
    inner join taxes
        on chosen_taxes.tax_code = taxes.tax_code
    group by chosen_taxes.usage_id
),

current_usage_taxed as (
    select
        current_usage.*,
        {{ tax_total_columns('usage_taxes') }}
    from current_usage
    left join usage_taxes
        on current_usage.usage_id = usage_taxes.usage_id
)

select * from current_usage_taxed
