-- Warns, one row per catalog object, about what the catalog asks for that
-- billing does not implement yet (each names the issue that adds it), so a
-- gap is reported instead of silently mispriced. Remove a branch when its
-- issue lands.
{{ config(severity='warn') }}

with

organizations as (
    select timezone from {{ ref('stg_raw__organizations') }}
),

customers as (
    select
        external_customer_id,
        timezone
    from {{ ref('stg_raw__customers') }}
),

subscriptions as (
    select
        external_subscription_id,
        billing_time
    from {{ ref('stg_raw__subscriptions') }}
),

plans as (
    select
        plan_code,
        trial_period_days,
        is_charges_billed_monthly,
        minimum_commitment_amount_cents
    from {{ ref('stg_raw__plans') }}
),

charges as (
    select
        charge_id,
        billable_metric_code,
        charge_model,
        is_pay_in_advance,
        is_prorated,
        min_amount_cents,
        properties
    from {{ ref('stg_raw__charges') }}
),

charge_filters as (
    select charge_id from {{ ref('stg_raw__charge_filters') }}
),

billable_metrics as (
    select
        billable_metric_code,
        aggregation_type,
        is_recurring
    from {{ ref('stg_raw__billable_metrics') }}
),

applied_coupons as (
    select applied_coupon_id from {{ ref('stg_raw__applied_coupons') }}
),

tax_assignments as (
    select tax_assignment_id from {{ ref('stg_raw__tax_assignments') }}
),

taxes as (
    select tax_code from {{ ref('stg_raw__taxes') }}
    where is_applied_to_organization
),

wallets as (
    select wallet_id from {{ ref('stg_raw__wallets') }}
),

unsupported_features as (
    select
        'organization' as object_id,
        'timezone ' || timezone as feature,
        'Pricing and billing periods' as issue
    from organizations where timezone <> 'UTC'
    union all
    select external_customer_id, 'timezone ' || timezone, 'Pricing and billing periods'
    from customers where timezone <> 'UTC'
    union all
    select external_subscription_id, 'billing_time ' || billing_time, 'Pricing and billing periods'
    from subscriptions where billing_time <> 'calendar'
    union all
    select plan_code, 'trial_period', 'Trials'
    from plans where trial_period_days > 0
    union all
    select plan_code, 'bill_charges_monthly', 'Pricing and billing periods'
    from plans where is_charges_billed_monthly
    union all
    select plan_code, 'minimum_commitment', 'Commitments and minimums'
    from plans where minimum_commitment_amount_cents is not null
    union all
    select charge_id, 'charge_model ' || charge_model, 'Charge models'
    from charges where charge_model <> 'standard'
    union all
    select charge_id, 'pay_in_advance charge', 'Pay-in-advance charges'
    from charges where is_pay_in_advance
    union all
    select charge_id, 'prorated charge', 'Recurring metrics'
    from charges where is_prorated
    union all
    select charge_id, 'min_amount_cents', 'Commitments and minimums'
    from charges where min_amount_cents > 0
    union all
    select charge_id, 'pricing group keys', 'Charge filters and pricing groups'
    from charges
    where
        {{ json_text('properties', "'pricing_group_keys'") }} is not null
        or {{ json_text('properties', "'grouped_by'") }} is not null
    union all
    select distinct charge_id, 'charge filters', 'Charge filters and pricing groups'
    from charge_filters
    union all
    select billable_metric_code, 'aggregation_type ' || aggregation_type, 'Aggregations'
    from billable_metrics where aggregation_type not in ('count_agg', 'sum_agg')
    union all
    select billable_metric_code, 'recurring metric', 'Recurring metrics'
    from billable_metrics where is_recurring
    union all
    select applied_coupon_id, 'applied coupon', 'Coupons'
    from applied_coupons
    union all
    select tax_assignment_id, 'tax assignment', 'Taxes'
    from tax_assignments
    union all
    select tax_code, 'organization tax', 'Taxes'
    from taxes
    union all
    select wallet_id, 'wallet', 'Wallets'
    from wallets
)

select * from unsupported_features
