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
-- Deviations: a limited wallet's payment is spread over its fees in
-- proportion to what is left of them (Lago fills buckets largest first);
-- the split between granted and purchased credits is not kept.

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
    where status = 'finalized' and invoice_type = 'subscription'
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
        cast(applies_to_billable_metric_codes as varchar []) as billable_metric_codes
    from {{ ref('stg_raw__wallets') }}
),

voids as (
    select
        invoice_id,
        voided_at
    from {{ ref('int_invoice_voids_resolved') }}
    where is_applied
),

wallet_movements as (
    select
        wallet_id,
        transaction_type,
        amount_cents,
        created_at
    from {{ ref('int_wallet_inbounds_listed') }}
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

invoices_ordered as (
    select
        *,
        row_number() over (
            partition by external_customer_id order by finalizing_at, billed_at, invoice_id
        ) as invoice_order
    from invoices_with_fees
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
        fee_eligibility.is_fee_eligible,
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
        and list_bool_or(fee_eligibility.is_fee_eligible) as is_open
    from invoices_ordered
    inner join wallets_per_customer
        on invoices_ordered.external_customer_id = wallets_per_customer.external_customer_id
    inner join wallets_ordered
        on invoices_ordered.external_customer_id = wallets_ordered.external_customer_id
    inner join fee_eligibility
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
        cast([] as {{ recredit_list_type() }}) as pending_recredits
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
        ) as {{ recredit_list_type() }}) as pending_recredits
    from (
        select
            step_lefts.*,
            case
                when not step_lefts.is_open then cast(0 as bigint)
                else cast(greatest(least(
                    step_lefts.received_cents - step_lefts.wallet_consumed[step_lefts.wallet_order],
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
    ) as step_amounts
),

wallet_credits as (
    select
        {{ surrogate_key(["'wallet'", 'invoice_id', 'wallet_id']) }} as wallet_credit_id,
        invoice_id,
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
        ) }} as credits
    from wallet_walk
    where step > 0 and amount_cents > 0
)

select * from wallet_credits
