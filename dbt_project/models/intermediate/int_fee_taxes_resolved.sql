-- The taxes of every fee line, one row per fee and tax, on the fee's amount
-- after coupons. Lago: app/services/fees/apply_taxes_service.rb
-- (#applicable_taxes), reference/invoicing.md §3:
-- - the first level that has taxes wins, levels are never merged: add-on
--   (add-on fees), charge (charge fees and their true-ups), minimum commitment
--   (commitment fees), plan (subscription, charge and commitment fees of the
--   plan), customer, then the organization's default taxes;
-- - a level with a 0 % tax is a level with taxes (it wins, taxing 0);
-- - a subscription whose plan_overrides give tax_codes has those as its plan
--   level (an empty list: no plan taxes); a charge it overrides has its own
--   charge level (catalog_rules: the override's tax_codes, else its plan
--   charge's). Lago's override copies neither (Plans::OverrideService dups the
--   plan without its taxes); we keep the plan's when the override names none,
--   as an accountant expects (DECISIONLOG, Plan overrides);
-- - several taxes of one level apply to the same base, none compounds:
--   base = amount_cents - precise_coupons_amount_cents (fractional cents),
--   tax = base x rate / 100, unrounded here (fees and invoices round it).

with

fees as (
    select
        fee_id,
        invoice_id,
        fee_type,
        external_customer_id,
        subscription_id,
        plan_code,
        charge_id,
        code,
        currency,
        amount_cents,
        precise_coupons_amount_cents
    from {{ ref('int_fees_discounted') }}
    -- bought credits are never taxed (Lago Fees::PaidCreditService: an advance)
    where fee_type <> 'credit'
),

{{ tax_assignment_ctes() }},

taxes as (
    select
        tax_code,
        tax_name,
        tax_rate,
        is_applied_to_organization
    from {{ ref('stg_raw__taxes') }}
),

fee_owners as (
    -- every level a fee can take taxes from, by precedence (1 wins)
    select fee_id, 1 as tax_level, 'add_on' as owner_type, code as owner_id
    from fees where fee_type = 'add_on'
    union all
    select fee_id, 2, 'charge', charge_id
    from fees where fee_type = 'charge'
    union all
    select fee_id, 3, 'minimum_commitment', plan_code
    from fees where fee_type = 'commitment'
    union all
    select
        fees.fee_id,
        4,
        case when plan_tax_overrides.subscription_id is null then 'plan' else 'subscription_plan' end,
        coalesce(plan_tax_overrides.subscription_id, fees.plan_code)
    from fees
    left join plan_tax_overrides
        on fees.subscription_id = plan_tax_overrides.subscription_id
    where fees.fee_type in ('subscription', 'charge', 'commitment')
    union all
    select fee_id, 5, 'customer', external_customer_id
    from fees
),

candidate_taxes as (
    select
        fee_owners.fee_id,
        fee_owners.tax_level,
        -- a subscription's own plan taxes are its plan level
        replace(fee_owners.owner_type, 'subscription_plan', 'plan') as tax_level_name,
        tax_assignments.tax_code
    from fee_owners
    inner join tax_assignments
        on
            fee_owners.owner_type = tax_assignments.owner_type
            and fee_owners.owner_id = tax_assignments.owner_id
    union all
    select
        fees.fee_id,
        6 as tax_level,
        'organization' as tax_level_name,
        taxes.tax_code
    from fees
    cross join taxes
    where taxes.is_applied_to_organization
),

chosen_taxes as (
    select distinct
        fee_id,
        tax_level_name,
        tax_code
    from candidate_taxes
    qualify tax_level = min(tax_level) over (partition by fee_id)
),

fee_taxes as (
    select
        {{ surrogate_key(['fees.fee_id', 'chosen_taxes.tax_code']) }} as fee_tax_id,
        fees.fee_id,
        fees.invoice_id,
        fees.currency,
        chosen_taxes.tax_level_name,
        chosen_taxes.tax_code,
        taxes.tax_name,
        taxes.tax_rate,
        cast(fees.amount_cents - fees.precise_coupons_amount_cents as {{ type_precise() }})
            as precise_base_amount_cents,
        cast(
            cast(
                (fees.amount_cents - fees.precise_coupons_amount_cents) * taxes.tax_rate
                as {{ type_precise() }}
            ) * cast(0.01 as decimal(3, 2))
            as {{ type_precise() }}
        ) as precise_amount_cents
    from chosen_taxes
    inner join fees
        on chosen_taxes.fee_id = fees.fee_id
    inner join taxes
        on chosen_taxes.tax_code = taxes.tax_code
)

select * from fee_taxes
