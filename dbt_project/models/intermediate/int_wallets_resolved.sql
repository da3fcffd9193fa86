-- Every prepaid-credit wallet with its threshold top-up rule, if it has one
-- (recurring_transaction_rules with trigger threshold; Lago
-- Wallets::ThresholdTopUpService takes the wallet's first such rule, so the
-- first in catalog order wins here too). The wallet walk
-- (int_wallet_credits_consumed) tops the wallet up from this rule when an
-- invoice's consumption leaves its balance at or below threshold_credits:
-- - fixed method: the rule's paid_credits and granted_credits;
-- - target method: paid credits up to target_ongoing_balance, no granted
--   credits (RecurringTransactionRule#compute_paid_credits).
-- threshold_amount_cents: threshold_credits in the wallet currency's minor
-- units, unrounded (the walk compares balances in cents).

with

wallets as (
    select
        wallet_id,
        external_customer_id,
        wallet_code,
        currency,
        rate_amount,
        priority,
        created_at,
        expiration_at,
        applies_to_fee_types,
        applies_to_billable_metric_codes
    from {{ ref('stg_raw__wallets') }}
),

threshold_rules as (
    select
        wallet_id,
        wallet_recurring_rule_id,
        method,
        threshold_credits,
        target_ongoing_balance,
        paid_credits,
        granted_credits,
        started_at,
        expiration_at
    from {{ ref('stg_raw__wallet_recurring_rules') }}
    where trigger = 'threshold'
    qualify row_number() over (partition by wallet_id order by rule_position) = 1
),

wallets_with_rules as (
    select
        wallets.*,
        threshold_rules.wallet_recurring_rule_id as threshold_rule_id,
        threshold_rules.method as threshold_method,
        coalesce(threshold_rules.threshold_credits, cast(0 as {{ type_precise() }})) as threshold_credits,
        cast(
            coalesce(threshold_rules.threshold_credits, 0) * wallets.rate_amount
            * {{ currency_subunit_to_unit('wallets.currency') }}
            as {{ type_precise() }}
        ) as threshold_amount_cents,
        threshold_rules.target_ongoing_balance as threshold_target_credits,
        threshold_rules.paid_credits as threshold_paid_credits,
        threshold_rules.granted_credits as threshold_granted_credits,
        threshold_rules.started_at as threshold_started_at,
        threshold_rules.expiration_at as threshold_expiration_at
    from wallets
    left join threshold_rules
        on wallets.wallet_id = threshold_rules.wallet_id
)

select * from wallets_with_rules
