-- Every wallet movement of int_wallet_inbounds_listed with the instant its
-- credits can be used (settled_at), null while they cannot. Granted credits,
-- voids and the purchases of a wallet without invoice_requires_successful_payment
-- settle when they are made. A purchase of a wallet that requires a successful
-- payment waits for its credit invoice (int_credit_purchases_invoiced) to be
-- paid: it settles at the first instant that invoice's payment status is
-- succeeded, set by hand (payment_status_updates, by invoice number, known by
-- as_of) or reported by a payment provider (payments.invoice_payment_status,
-- by invoice id, as billing.invoices reads it), or at once when there is
-- nothing to pay (a total of 0 is succeeded). Lago:
-- WalletTransactions::CreateFromParamsService (the wallet's flag),
-- Invoices::PrepaidCreditJob and Wallets::ApplyPaidCreditsService (credits
-- added when the payment succeeds; a failed payment never adds them).
-- Interpretation: a status set back to pending or failed after succeeded
-- does not take the credits back (Lago settles the transaction once).

with

movements as (
    select * from {{ ref('int_wallet_inbounds_listed') }}
),

invoice_numbers as (
    select
        invoice_id,
        number
    from {{ ref('int_invoices_numbered') }}
),

payment_status_updates as (
    select
        invoice_number,
        updated_at
    from {{ ref('stg_raw__payment_status_updates') }}
    where payment_status = 'succeeded' and updated_at < {{ billing_as_of() }}
),

provider_payment_statuses as (
    select
        invoice_id,
        updated_at
    from {{ ref('stg_payments__invoice_payment_status') }}
    where payment_status = 'succeeded'
),

payments_succeeded as (
    select
        invoice_numbers.invoice_id,
        payment_status_updates.updated_at as succeeded_at
    from payment_status_updates
    inner join invoice_numbers
        on payment_status_updates.invoice_number = invoice_numbers.number
    union all
    select
        invoice_id,
        updated_at
    from provider_payment_statuses
),

first_successes as (
    select
        invoice_id,
        min(succeeded_at) as succeeded_at
    from payments_succeeded
    group by 1
),

movements_settled as (
    select
        movements.*,
        case
            when not movements.is_payment_required or movements.amount_cents = 0
                then movements.created_at
            when first_successes.succeeded_at is null then null
            -- a payment recorded before the purchase (not expected) counts from the purchase
            else greatest(first_successes.succeeded_at, movements.created_at)
        end as settled_at
    from movements
    left join first_successes
        on movements.credit_invoice_id = first_successes.invoice_id
)

select * from movements_settled
