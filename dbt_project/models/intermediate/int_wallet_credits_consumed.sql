-- What each prepaid-credit wallet pays of each finalized subscription
-- invoice, after taxes and credit notes (one row per invoice and wallet that
-- pays something). Lago: app/services/credits/applied_prepaid_credits_service.rb,
-- app/services/credits/allocate_prepaid_credits_by_wallets_service.rb,
-- app/models/wallet.rb (reference/invoicing.md §6):
-- - only finalized invoices with something left to pay after credit notes;
--   drafts and one-off invoices use no wallet;
-- - the customer's wallets of the invoice's currency, created and not
--   expired by the invoice's finalization, in priority order (1 first,
--   default 50), then by creation;
-- - a wallet pays at most its balance (every inbound movement by then, less
--   what earlier invoices took) and what is left of the invoice, so the total
--   never goes below zero; a wallet limited by `applies_to` (fee types or
--   billable metrics) pays at most what is left of the fees it covers, each
--   fee's part being its amount after coupons plus its taxes, less its share
--   of the credit notes;
-- - balances are carried from invoice to invoice by a recursive CTE over
--   (invoice, wallet) steps in finalization order, every customer at once;
-- - a voided invoice (int_invoice_voids_resolved) gives each wallet back what
--   it took, at voided_at, if the wallet is still active then (Lago
--   WalletTransactions::RecreditService): the state carries these re-credits
--   until the first invoice finalized from voided_at on, whose balance has
--   them (`recredited_at` marks the consumption given back).
-- - a movement counts from its settled_at (int_wallet_inbounds_settled):
--   purchased credits of a wallet that requires a successful payment wait
--   for their credit invoice's payment;
-- - threshold top-ups (int_wallets_resolved; Lago
--   Wallets::ThresholdTopUpService, RecurringTransactionRule): when an
--   invoice's consumption leaves a wallet with a threshold rule (started by
--   and not expired at the invoice's finalization) at or below
--   threshold_credits, the rule tops it up at that instant: its paid and
--   granted credits (fixed), or paid credits up to target_ongoing_balance,
--   floored to 5 decimals as Lago's CreateFromParamsService (target). The
--   state carries each wallet's top-ups (`wallet_topped_up`, cents), so the
--   next invoices see them; the step's row reports the credits
--   (top_up_*), from which int_threshold_top_ups_invoiced bills the paid ones;
-- - interval rules with the target method (listed by int_wallet_inbounds_listed
--   with status target_top_up): each anniversary is a step of the walk too,
--   before the invoices of that instant, with nothing to pay; it buys paid
--   credits up to the rule's target balance (floored to 5 decimals, none at
--   or above it; Lago CreateIntervalWalletTransactionsService with
--   RecurringTransactionRule#compute_paid_credits). Its row has no invoice.
-- Deviations: a limited wallet's payment is spread over its fees in
-- proportion to what is left of them (Lago fills buckets largest first);
-- the split between granted and purchased credits is not kept. Lago also
-- checks the threshold against the ongoing balance (less current usage) on
-- every usage refresh; here only invoices' consumption triggers it, and a
-- top-up's paid credits are usable at once even when the wallet requires a
-- successful payment (their invoice is made inside this walk, so its payment
-- cannot gate it without a cycle).

with recursive

invoices as (
    select
        invoice_id,
        external_customer_id,
        currency,
        finalizing_at,
        billed_at,
        sub_total_including_taxes_amount_cents
    from {{ ref('int_invoices_taxed') }}
    where status = 'finalized' and invoice_type in ('subscription', 'advance_charges')
),

credit_note_uses as (
    select
        invoice_id,
        sum(amount_cents) as credit_notes_amount_cents
    from {{ ref('int_credit_notes_applied') }}
    group by 1
),

fees as (
    select
        fee_id,
        invoice_id,
        fee_type,
        code,
        cast(amount_cents - precise_coupons_amount_cents + taxes_precise_amount_cents as {{ type_precise() }})
            as payable_amount_cents
    from {{ ref('int_fees_taxed') }}
),

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
        cast(applies_to_fee_types as varchar []) as fee_types,
        cast(applies_to_billable_metric_codes as varchar []) as billable_metric_codes,
        threshold_rule_id,
        threshold_method,
        threshold_amount_cents,
        threshold_target_credits,
        threshold_paid_credits,
        threshold_granted_credits,
        threshold_started_at,
        threshold_expiration_at
    from {{ ref('int_wallets_resolved') }}
),

voids as (
    select
        invoice_id,
        voided_at
    from {{ ref('int_invoice_voids_resolved') }}
    where is_applied
),

wallet_movements as (
    -- a movement counts from the instant its credits can be used
    select
        wallet_id,
        transaction_type,
        amount_cents,
        settled_at as created_at
    from {{ ref('int_wallet_inbounds_settled') }}
    where settled_at is not null and transaction_status is distinct from 'target_top_up'
),

target_top_up_days as (
    -- an interval rule with the target method: on each anniversary, buy
    -- credits up to the target balance (credits)
    select
        wallet_transaction_id as top_up_id,
        wallet_id,
        credits as target_credits,
        settled_at as top_up_at
    from {{ ref('int_wallet_inbounds_settled') }}
    where transaction_status = 'target_top_up'
),

wallets_ordered as (
    select
        *,
        len(fee_types) > 0 or len(billable_metric_codes) > 0 as is_limited,
        row_number() over (
            partition by external_customer_id order by priority, created_at, wallet_id
        ) as wallet_order
    from wallets
),

wallets_per_customer as (
    select
        external_customer_id,
        count(*) as wallets_count
    from wallets
    group by 1
),

invoices_due as (
    select
        invoices.*,
        invoices.sub_total_including_taxes_amount_cents
        - coalesce(credit_note_uses.credit_notes_amount_cents, 0) as amount_due_cents
    from invoices
    left join credit_note_uses
        on invoices.invoice_id = credit_note_uses.invoice_id
    where invoices.external_customer_id in (select wallets.external_customer_id from wallets)
),

invoices_with_fees as (
    -- each fee's payable part, less its share of the credit notes
    select
        invoices_due.invoice_id,
        invoices_due.external_customer_id,
        invoices_due.currency,
        invoices_due.finalizing_at,
        invoices_due.billed_at,
        invoices_due.amount_due_cents,
        list(fees.fee_id order by fees.fee_id) as fee_ids,
        list(
            cast(
                fees.payable_amount_cents * {{ divide_decimal(
                    'invoices_due.amount_due_cents',
                    'invoices_due.sub_total_including_taxes_amount_cents'
                ) }} as {{ type_precise() }}
            )
            order by fees.fee_id
        ) as fee_payables
    from invoices_due
    inner join fees
        on invoices_due.invoice_id = fees.invoice_id
    where invoices_due.amount_due_cents > 0
    group by 1, 2, 3, 4, 5, 6
),

invoices_and_top_up_days as (
    select
        *,
        1 as step_kind,
        cast(null as varchar) as top_up_wallet_id,
        cast(null as {{ type_precise() }}) as top_up_target_credits
    from invoices_with_fees
    union all
    -- an interval target top-up's day is a step of the walk too, with nothing
    -- to pay: the balance then decides what it buys
    select
        target_top_up_days.top_up_id as invoice_id,
        wallets.external_customer_id,
        wallets.currency,
        target_top_up_days.top_up_at as finalizing_at,
        target_top_up_days.top_up_at as billed_at,
        cast(0 as bigint) as amount_due_cents,
        cast([] as varchar []) as fee_ids,
        cast([] as {{ type_precise() }} []) as fee_payables,
        0 as step_kind,
        target_top_up_days.wallet_id as top_up_wallet_id,
        target_top_up_days.target_credits as top_up_target_credits
    from target_top_up_days
    inner join wallets
        on target_top_up_days.wallet_id = wallets.wallet_id
),

invoices_ordered as (
    -- a top-up day at an invoice's very instant comes first (the interval
    -- credits arrive at the start of the day: invoices finalized then see them)
    select
        *,
        row_number() over (
            partition by external_customer_id order by finalizing_at, step_kind, billed_at, invoice_id
        ) as invoice_order
    from invoices_and_top_up_days
),

fee_eligibility as (
    select
        fees.invoice_id,
        wallets_ordered.wallet_id,
        list(
            not wallets_ordered.is_limited
            or list_contains(wallets_ordered.fee_types, fees.fee_type)
            or (fees.fee_type = 'charge' and list_contains(wallets_ordered.billable_metric_codes, fees.code))
            order by fees.fee_id
        ) as is_fee_eligible
    from fees
    inner join invoices_ordered
        on fees.invoice_id = invoices_ordered.invoice_id
    inner join wallets_ordered
        on invoices_ordered.external_customer_id = wallets_ordered.external_customer_id
    group by 1, 2
),

wallet_balances_in as (
    -- what has come into (or been voided from) each wallet by each invoice
    select
        invoices_ordered.invoice_id,
        wallets_ordered.wallet_id,
        coalesce(sum(
            case wallet_movements.transaction_type
                when 'inbound' then wallet_movements.amount_cents
                else -wallet_movements.amount_cents
            end
        ), 0) as received_cents
    from invoices_ordered
    inner join wallets_ordered
        on invoices_ordered.external_customer_id = wallets_ordered.external_customer_id
    left join wallet_movements
        on
            wallets_ordered.wallet_id = wallet_movements.wallet_id
            and wallet_movements.created_at <= invoices_ordered.finalizing_at
    group by 1, 2
),

steps as (
    select
        invoices_ordered.external_customer_id,
        (invoices_ordered.invoice_order - 1) * wallets_per_customer.wallets_count
        + wallets_ordered.wallet_order as step,
        wallets_ordered.wallet_order,
        wallets_ordered.wallet_order = 1 as is_first_of_invoice,
        invoices_ordered.invoice_id,
        invoices_ordered.currency,
        invoices_ordered.finalizing_at,
        invoices_ordered.amount_due_cents,
        invoices_ordered.fee_ids,
        invoices_ordered.fee_payables,
        coalesce(fee_eligibility.is_fee_eligible, cast([] as boolean [])) as is_fee_eligible,
        invoices_ordered.top_up_wallet_id = wallets_ordered.wallet_id as is_target_top_up,
        invoices_ordered.top_up_target_credits,
        wallets_ordered.wallet_id,
        wallets_ordered.wallet_code,
        wallets_ordered.rate_amount,
        wallets_ordered.is_limited,
        wallet_balances_in.received_cents,
        voids.voided_at as invoice_voided_at,
        coalesce(
            wallets_ordered.expiration_at is null or wallets_ordered.expiration_at > voids.voided_at,
            false
        ) as is_recredited,
        wallets_ordered.currency = invoices_ordered.currency
        and wallets_ordered.created_at <= invoices_ordered.finalizing_at
        and (
            wallets_ordered.expiration_at is null
            or wallets_ordered.expiration_at > invoices_ordered.finalizing_at
        )
        and coalesce(list_bool_or(fee_eligibility.is_fee_eligible), false) as is_open,
        wallets_ordered.threshold_rule_id is not null
        and (
            wallets_ordered.threshold_started_at is null
            or wallets_ordered.threshold_started_at <= invoices_ordered.finalizing_at
        )
        and (
            wallets_ordered.threshold_expiration_at is null
            or wallets_ordered.threshold_expiration_at > invoices_ordered.finalizing_at
        ) as is_threshold_armed,
        wallets_ordered.threshold_method,
        wallets_ordered.threshold_amount_cents,
        wallets_ordered.threshold_target_credits,
        wallets_ordered.threshold_paid_credits,
        wallets_ordered.threshold_granted_credits
    from invoices_ordered
    inner join wallets_per_customer
        on invoices_ordered.external_customer_id = wallets_per_customer.external_customer_id
    inner join wallets_ordered
        on invoices_ordered.external_customer_id = wallets_ordered.external_customer_id
    left join fee_eligibility
        on
            invoices_ordered.invoice_id = fee_eligibility.invoice_id
            and wallets_ordered.wallet_id = fee_eligibility.wallet_id
    inner join wallet_balances_in
        on
            invoices_ordered.invoice_id = wallet_balances_in.invoice_id
            and wallets_ordered.wallet_id = wallet_balances_in.wallet_id
    left join voids
        on invoices_ordered.invoice_id = voids.invoice_id
),

initial_states as (
    select
        external_customer_id,
        cast(0 as bigint) as step,
        cast(null as varchar) as invoice_id,
        cast(null as varchar) as wallet_id,
        cast(null as varchar) as wallet_code,
        cast(null as {{ type_precise() }}) as rate_amount,
        cast(null as varchar) as currency,
        cast(null as timestamp) as finalizing_at,
        cast(0 as bigint) as amount_cents,
        cast([] as {{ type_precise() }} []) as fee_paid,
        cast(0 as bigint) as invoice_left_cents,
        list(cast(0 as bigint) order by wallet_id) as wallet_consumed,
        false as is_recredited,
        cast(null as timestamp) as invoice_voided_at,
        cast([] as {{ recredit_list_type() }}) as pending_recredits,
        list(cast(0 as bigint) order by wallet_id) as wallet_topped_up,
        cast(0 as {{ type_precise() }}) as top_up_paid_credits,
        cast(0 as {{ type_precise() }}) as top_up_granted_credits,
        cast(0 as bigint) as top_up_paid_amount_cents,
        cast(0 as bigint) as top_up_granted_amount_cents,
        false as is_target_top_up
    from wallets
    group by 1
),

wallet_walk as (
    select * from initial_states

    union all

    select
        step_amounts.external_customer_id,
        step_amounts.step,
        step_amounts.invoice_id,
        step_amounts.wallet_id,
        step_amounts.wallet_code,
        step_amounts.rate_amount,
        step_amounts.currency,
        step_amounts.finalizing_at,
        step_amounts.amount_cents,
        case
            when step_amounts.amount_cents > 0 and step_amounts.eligible_left_cents > 0
                then list_transform(
                    step_amounts.fee_payables,
                    lambda payable, i: case
                        when step_amounts.is_fee_eligible[i]
                            then least(
                                step_amounts.fee_paid_before[i]
                                + {{ divide_decimal(
                                    'step_amounts.amount_cents * (payable - step_amounts.fee_paid_before[i])',
                                    'step_amounts.eligible_left_cents'
                                ) }},
                                payable
                            )
                        else step_amounts.fee_paid_before[i]
                    end
                )
            else step_amounts.fee_paid_before
        end as fee_paid,
        step_amounts.invoice_left_before - step_amounts.amount_cents as invoice_left_cents,
        list_transform(
            step_amounts.wallet_consumed,
            lambda consumed, w: case
                when w = step_amounts.wallet_order then consumed + step_amounts.amount_cents
                else consumed
            end
        ) as wallet_consumed,
        step_amounts.is_recredited,
        step_amounts.invoice_voided_at,
        cast(list_concat(
            step_amounts.pending_before,
            case
                when step_amounts.is_recredited and step_amounts.amount_cents > 0
                    then [{
                        'wallet_order': step_amounts.wallet_order,
                        'recredit_at': step_amounts.invoice_voided_at,
                        'amount_cents': step_amounts.amount_cents
                    }]
                else []
            end
        ) as {{ recredit_list_type() }}) as pending_recredits,
        list_transform(
            step_amounts.wallet_topped_up,
            lambda topped_up, w: case
                when w = step_amounts.wallet_order
                    then topped_up + step_amounts.top_up_paid_amount_cents + step_amounts.top_up_granted_amount_cents
                else topped_up
            end
        ) as wallet_topped_up,
        step_amounts.top_up_paid_credits,
        step_amounts.top_up_granted_credits,
        step_amounts.top_up_paid_amount_cents,
        step_amounts.top_up_granted_amount_cents,
        step_amounts.is_target_top_up
    from (
        -- the top-up's credits in the wallet currency's minor units
        select
            step_top_ups.*,
            {{ to_minor_units(
                'cast(step_top_ups.top_up_paid_credits * step_top_ups.rate_amount as ' ~ type_precise() ~ ')',
                'step_top_ups.currency'
            ) }} as top_up_paid_amount_cents,
            {{ to_minor_units(
                'cast(step_top_ups.top_up_granted_credits * step_top_ups.rate_amount as ' ~ type_precise() ~ ')',
                'step_top_ups.currency'
            ) }} as top_up_granted_amount_cents
        from (
            -- a threshold top-up when this consumption leaves the wallet at or below
            -- its threshold (fixed credits, or paid credits up to the target
            -- balance), or an interval target rule's on its anniversary (paid
            -- credits up to its target); targets floored to 5 decimals, never negative
            select
                step_balances.*,
                case
                    when
                        step_balances.is_target_top_up
                        or (step_balances.is_threshold_reached and step_balances.threshold_method = 'target')
                        then cast(greatest({{ divide_decimal(
                            'floor((step_balances.target_credits - ' ~ divide_decimal(
                                'step_balances.balance_after_cents',
                                'step_balances.rate_amount * ' ~ currency_subunit_to_unit('step_balances.currency')
                            ) ~ ') * 100000)',
                            '100000'
                        ) }}, 0) as {{ type_precise() }})
                    when step_balances.is_threshold_reached
                        then cast(step_balances.threshold_paid_credits as {{ type_precise() }})
                    else cast(0 as {{ type_precise() }})
                end as top_up_paid_credits,
                case
                    when
                        step_balances.is_threshold_reached and not step_balances.is_target_top_up
                        and step_balances.threshold_method = 'fixed'
                        then cast(step_balances.threshold_granted_credits as {{ type_precise() }})
                    else cast(0 as {{ type_precise() }})
                end as top_up_granted_credits
            from (
                select
                    step_consumed.*,
                    step_consumed.balance_before_cents - step_consumed.amount_cents as balance_after_cents,
                    -- the target of this step's top-up: an interval target rule's, else the threshold rule's
                    case
                        when step_consumed.is_target_top_up then step_consumed.top_up_target_credits
                        else step_consumed.threshold_target_credits
                    end as target_credits,
                    coalesce(
                        step_consumed.is_threshold_armed
                        and step_consumed.amount_cents > 0
                        and step_consumed.balance_before_cents - step_consumed.amount_cents
                        <= step_consumed.threshold_amount_cents,
                        false
                    ) as is_threshold_reached
                from (
                    select
                        step_lefts.*,
                        case
                            when not step_lefts.is_open then cast(0 as bigint)
                            else cast(greatest(least(
                                step_lefts.balance_before_cents,
                                step_lefts.invoice_left_before,
                                case
                                    when step_lefts.is_limited then floor(step_lefts.eligible_left_cents)
                                    else step_lefts.invoice_left_before
                                end
                            ), 0) as bigint)
                        end as amount_cents
                    from (
                        select
                            step_states.*,
                            step_states.received_cents - step_states.wallet_consumed[step_states.wallet_order]
                            + step_states.wallet_topped_up[step_states.wallet_order] as balance_before_cents,
                            cast(list_sum(list_transform(
                                step_states.fee_payables,
                                lambda payable, i: case
                                    when step_states.is_fee_eligible[i]
                                        then payable - step_states.fee_paid_before[i]
                                    else cast(0 as {{ type_precise() }})
                                end
                            )) as {{ type_precise() }}) as eligible_left_cents
                        from (
                            select
                                steps.external_customer_id,
                                steps.step,
                                steps.wallet_order,
                                steps.invoice_id,
                                steps.wallet_id,
                                steps.wallet_code,
                                steps.rate_amount,
                                steps.currency,
                                steps.finalizing_at,
                                steps.fee_payables,
                                steps.is_fee_eligible,
                                steps.is_limited,
                                steps.is_open,
                                steps.received_cents,
                                steps.is_recredited,
                                steps.invoice_voided_at,
                                steps.is_threshold_armed,
                                steps.threshold_method,
                                steps.threshold_amount_cents,
                                steps.threshold_target_credits,
                                steps.threshold_paid_credits,
                                steps.threshold_granted_credits,
                                coalesce(steps.is_target_top_up, false) as is_target_top_up,
                                steps.top_up_target_credits,
                                wallet_walk.wallet_topped_up,
                                -- re-credits due by this invoice's finalization go back to their wallet
                                list_transform(
                                    wallet_walk.wallet_consumed,
                                    lambda consumed, w: consumed - coalesce(list_sum(list_transform(
                                        list_filter(
                                            wallet_walk.pending_recredits,
                                            lambda due: due.wallet_order = w and due.recredit_at <= steps.finalizing_at
                                        ),
                                        lambda due: due.amount_cents
                                    )), 0)
                                ) as wallet_consumed,
                                list_filter(
                                    wallet_walk.pending_recredits, lambda due: due.recredit_at > steps.finalizing_at
                                ) as pending_before,
                                case
                                    when steps.is_first_of_invoice
                                        then list_transform(
                                            steps.fee_payables, lambda payable: cast(0 as {{ type_precise() }})
                                        )
                                    else wallet_walk.fee_paid
                                end as fee_paid_before,
                                case
                                    when steps.is_first_of_invoice then steps.amount_due_cents
                                    else wallet_walk.invoice_left_cents
                                end as invoice_left_before
                            from wallet_walk
                            inner join steps
                                on
                                    wallet_walk.external_customer_id = steps.external_customer_id
                                    and wallet_walk.step + 1 = steps.step
                        ) as step_states
                    ) as step_lefts
                ) as step_consumed
            ) as step_balances
        ) as step_top_ups
    ) as step_amounts
),

wallet_credits as (
    -- an interval target top-up's day has no invoice (invoice_id null, nothing consumed)
    select
        {{ surrogate_key(["'wallet'", 'wallet_walk.invoice_id', 'wallet_walk.wallet_id']) }} as wallet_credit_id,
        case when not wallet_walk.is_target_top_up then wallet_walk.invoice_id end as invoice_id,
        external_customer_id,
        wallet_id,
        wallet_code,
        currency,
        finalizing_at as created_at,
        amount_cents,
        case when is_recredited then invoice_voided_at end as recredited_at,
        {{ divide_decimal(
            minor_to_major_units('amount_cents', 'currency'),
            'rate_amount'
        ) }} as credits,
        top_up_paid_credits,
        top_up_granted_credits,
        top_up_paid_amount_cents,
        top_up_granted_amount_cents
    from wallet_walk
    where step > 0 and (amount_cents > 0 or top_up_paid_credits > 0 or top_up_granted_credits > 0)
)

select * from wallet_credits
