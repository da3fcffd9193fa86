-- Every movement that fills (or voids) a prepaid-credit wallet, before any
-- consumption: the credits granted and purchased when the wallet is created
-- and every top-up or void of `wallet_transactions`, one row each, in
-- credits and in cents (credits x rate_amount, in the wallet currency's
-- minor units, rounded half away from zero; Lago app/models/wallet_credit.rb).
-- Granted credits are settled at once; purchased credits are billed on a
-- credit invoice each (credit_invoice_id) and, when the wallet says
-- invoice_requires_successful_payment, wait for its payment
-- (int_wallet_inbounds_settled). Buying credits is never taxed. Voided
-- credits leave the wallet (outbound).
-- Automatic top-ups (recurring_transaction_rules, trigger interval, method
-- fixed; Lago Wallets::CreateIntervalWalletTransactionsService): the rule's
-- credits on every anniversary of started_at (else of the wallet's creation)
-- by `interval`, in the customer's timezone (a 31st comes back as the month's
-- last day, a 29 February as 28 February), at the start of that local day;
-- never on the day the wallet is created, nor from the rule's or the wallet's
-- expiration on, nor before started_at (Lago's query does not check it: a
-- deviation). A target rule's anniversaries are listed with status
-- target_top_up (credits: the target balance, amount 0): what they buy
-- depends on the balance then, and the wallet walk (int_wallet_credits_consumed)
-- decides it, as it applies threshold rules after each invoice.

with

wallets as (
    select
        wallet_id,
        external_customer_id,
        wallet_code,
        currency,
        rate_amount,
        granted_credits,
        paid_credits,
        is_payment_required_for_invoice,
        created_at,
        expiration_at
    from {{ ref('stg_raw__wallets') }}
),

wallet_transactions as (
    select
        wallet_transaction_id,
        external_customer_id,
        wallet_code,
        granted_credits,
        paid_credits,
        voided_credits,
        created_at
    from {{ ref('stg_raw__wallet_transactions') }}
),

customers as (
    select
        external_customer_id,
        timezone
    from {{ ref('int_customers_resolved') }}
),

interval_rules as (
    select
        rules.wallet_recurring_rule_id,
        rules.wallet_id,
        rules.interval,
        rules.method,
        rules.paid_credits,
        rules.granted_credits,
        rules.target_ongoing_balance,
        customers.timezone,
        -- top-ups stop at the rule's expiration or the wallet's, the earlier
        least(rules.expiration_at, wallets.expiration_at) as top_ups_end_at,  -- least skips nulls
        {{ local_date('wallets.created_at', 'customers.timezone') }} as wallet_created_date,
        {{ local_date('coalesce(rules.started_at, wallets.created_at)', 'customers.timezone') }} as anchor_date,
        {{ local_date(billing_as_of(), 'customers.timezone') }} as as_of_date
    from {{ ref('stg_raw__wallet_recurring_rules') }} as rules
    inner join wallets
        on rules.wallet_id = wallets.wallet_id
    inner join customers
        on wallets.external_customer_id = customers.external_customer_id
    where rules.trigger = 'interval'
),

interval_anniversaries as (
    -- anniversary 0 is the anchor day itself, then one per interval up to as_of
    select
        *,
        {{ row_indexes(period_index_of('as_of_date', 'anchor_date', 'interval') ~ ' + 1') }}
            as anniversary_number
    from interval_rules
    where anchor_date <= as_of_date
),

interval_top_up_days as (
    select
        *,
        {{ period_boundary_date('anchor_date', 'anniversary_number', 'interval') }} as top_up_date
    from interval_anniversaries
),

interval_top_ups as (
    select
        wallet_recurring_rule_id,
        wallet_id,
        method,
        paid_credits,
        granted_credits,
        target_ongoing_balance,
        {{ local_day_start('top_up_date', 'timezone') }} as created_at
    from interval_top_up_days
    where
        top_up_date > wallet_created_date
        and {{ local_day_start('top_up_date', 'timezone') }} < {{ billing_as_of() }}
        and (
            top_ups_end_at is null
            or {{ local_day_start('top_up_date', 'timezone') }} < top_ups_end_at
        )
),

movements as (
    select
        wallet_id,
        'wallet_created:' || 'granted' as source_id,
        'granted' as transaction_status,
        'inbound' as transaction_type,
        granted_credits as credits,
        created_at
    from wallets
    where granted_credits > 0
    union all
    select
        wallet_id,
        'wallet_created:' || 'purchased',
        'purchased',
        'inbound',
        paid_credits,
        created_at
    from wallets
    where paid_credits > 0
    union all
    select
        wallets.wallet_id,
        wallet_transactions.wallet_transaction_id || ':granted',
        'granted',
        'inbound',
        wallet_transactions.granted_credits,
        wallet_transactions.created_at
    from wallet_transactions
    inner join wallets
        on
            wallet_transactions.external_customer_id = wallets.external_customer_id
            and wallet_transactions.wallet_code = wallets.wallet_code
    where wallet_transactions.granted_credits > 0
    union all
    select
        wallets.wallet_id,
        wallet_transactions.wallet_transaction_id || ':purchased',
        'purchased',
        'inbound',
        wallet_transactions.paid_credits,
        wallet_transactions.created_at
    from wallet_transactions
    inner join wallets
        on
            wallet_transactions.external_customer_id = wallets.external_customer_id
            and wallet_transactions.wallet_code = wallets.wallet_code
    where wallet_transactions.paid_credits > 0
    union all
    select
        wallets.wallet_id,
        wallet_transactions.wallet_transaction_id || ':voided',
        'voided',
        'outbound',
        wallet_transactions.voided_credits,
        wallet_transactions.created_at
    from wallet_transactions
    inner join wallets
        on
            wallet_transactions.external_customer_id = wallets.external_customer_id
            and wallet_transactions.wallet_code = wallets.wallet_code
    where wallet_transactions.voided_credits > 0
    union all
    select
        wallet_id,
        'top_up:' || wallet_recurring_rule_id || ':' || strftime(created_at, '%Y-%m-%d') || ':granted',
        'granted',
        'inbound',
        granted_credits,
        created_at
    from interval_top_ups
    where method = 'fixed' and granted_credits > 0
    union all
    select
        wallet_id,
        'top_up:' || wallet_recurring_rule_id || ':' || strftime(created_at, '%Y-%m-%d') || ':purchased',
        'purchased',
        'inbound',
        paid_credits,
        created_at
    from interval_top_ups
    where method = 'fixed' and paid_credits > 0
    union all
    -- a target rule's anniversary: how much it buys depends on the balance
    -- then, which the wallet walk (int_wallet_credits_consumed) knows; credits
    -- here are the target balance, no amount
    select
        wallet_id,
        'top_up:' || wallet_recurring_rule_id || ':' || strftime(created_at, '%Y-%m-%d') || ':target',
        'target_top_up',
        'inbound',
        target_ongoing_balance,
        created_at
    from interval_top_ups
    where method = 'target' and target_ongoing_balance is not null
),

movements_valued as (
    select
        {{ surrogate_key(['movements.wallet_id', 'movements.source_id']) }} as wallet_transaction_id,
        -- purchased credits are billed on their own credit invoice
        -- (int_credit_purchases_invoiced); with invoice_requires_successful_payment
        -- they wait for its payment (int_wallet_inbounds_settled)
        case
            when movements.transaction_status = 'purchased'
                then {{ surrogate_key(["'credit'", 'movements.wallet_id', 'movements.source_id']) }}
        end as credit_invoice_id,
        movements.transaction_status = 'purchased' and wallets.is_payment_required_for_invoice
            as is_payment_required,
        movements.wallet_id,
        wallets.external_customer_id,
        wallets.wallet_code,
        wallets.currency,
        movements.transaction_type,
        movements.transaction_status,
        cast(movements.credits as {{ type_precise() }}) as credits,
        case
            when movements.transaction_status = 'target_top_up' then cast(0 as bigint)
            else {{ to_minor_units('cast(movements.credits * wallets.rate_amount as ' ~ type_precise() ~ ')', 'wallets.currency') }}
        end as amount_cents,
        movements.created_at
    from movements
    inner join wallets
        on movements.wallet_id = wallets.wallet_id
)

select * from movements_valued
