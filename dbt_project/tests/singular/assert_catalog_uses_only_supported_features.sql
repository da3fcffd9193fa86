-- Warns, one row per catalog object, about what the catalog asks for that
-- billing does not implement yet (each names the issue that adds it), so a
-- gap is reported instead of silently mispriced. Remove a branch when its
-- issue lands.
{{ config(severity='warn') }}

with

charges as (
    select
        charges.charge_id,
        charges.is_pay_in_advance,
        charges.is_prorated,
        charges.charge_model,
        charges.min_amount_cents,
        billable_metrics.aggregation_type
    from {{ ref('stg_raw__charges') }} as charges
    left join {{ ref('stg_raw__billable_metrics') }} as billable_metrics
        on charges.billable_metric_code = billable_metrics.billable_metric_code
),

subscriptions as (
    select
        external_subscription_id,
        plan_overrides
    from {{ ref('stg_raw__subscriptions') }}
),

unsupported_features as (
    -- pay-in-advance charges: what Lago itself refuses (Charge#validate_pay_in_advance,
    -- BillableMetric::AGGREGATION_TYPES_PAYABLE_IN_ADVANCE, min_amount_cents must be 0)
    -- is billed with its period as an in-arrears charge; a prorated one is priced
    -- unprorated per event; a minimum spend is not applied
    select
        charge_id as object_id,
        case
            when aggregation_type not in ('count_agg', 'sum_agg', 'unique_count_agg')
                then 'pay_in_advance charge on a ' || aggregation_type || ' metric (billed with its period)'
            when charge_model = 'volume' then 'pay_in_advance volume charge (billed with its period)'
            when is_prorated then 'prorated pay_in_advance charge (each event priced unprorated)'
            else 'pay_in_advance charge with min_amount_cents (not applied)'
        end as feature,
        'Usage in advance and in progress' as issue
    from charges
    where
        is_pay_in_advance
        and (
            aggregation_type not in ('count_agg', 'sum_agg', 'unique_count_agg')
            or charge_model = 'volume'
            or is_prorated
            or min_amount_cents > 0
        )

    union all

    -- plan_overrides: every field applies (charges and taxes since the pricing
    -- issue) except a commitment's own taxes (the plan's commitment taxes
    -- apply) and usage thresholds (progressive billing is not built).
    select
        external_subscription_id as object_id,
        'plan_overrides.' || override_key || ' (not applied)' as feature,
        'Pricing and billing periods' as issue
    from subscriptions
    cross join (
        values ('minimum_commitment.tax_codes'), ('minimum_commitment.taxes'), ('usage_thresholds')
    ) as keys (override_key)
    where json_exists(plan_overrides, '$.' || override_key)
)

select * from unsupported_features
