-- Revenue streams per issuing month and currency, gross to net: Lago's
-- revenue streams (guide/analytics/revenue/revenue-streams.mdx,
-- reference/analytics.md §3). Fees of finalized invoices, before tax, by type:
-- subscription, usage-based (charge), commitment and one-off (add-on) fees
-- make gross revenue; coupons, credit notes and prepaid credits deducted on
-- those invoices are the contra revenue; net = gross - contra. Wallet top-up
-- (credit) fees are not revenue. Dated by the invoice's issuing_date (Lago
-- uses the fee's created_at, the same day for fees billed on an invoice).

with

finalized_invoices as (
    select
        invoice_id,
        currency,
        cast({{ dbt.date_trunc('month', 'issuing_date') }} as date) as month,
        coupons_amount_cents,
        credit_notes_amount_cents,
        prepaid_credit_amount_cents
    from {{ ref('invoices') }}
    where status = 'finalized'
),

fees as (
    select
        invoice_id,
        fee_type,
        amount_cents
    from {{ ref('fees') }}
),

fees_split_by_stream as (
    select
        finalized_invoices.month,
        finalized_invoices.currency,
        case when fees.fee_type = 'subscription' then fees.amount_cents else 0 end
            as subscription_fee_amount_cents,
        case when fees.fee_type = 'charge' then fees.amount_cents else 0 end
            as usage_based_fee_amount_cents,
        case when fees.fee_type = 'commitment' then fees.amount_cents else 0 end
            as commitment_fee_amount_cents,
        case when fees.fee_type = 'add_on' then fees.amount_cents else 0 end
            as one_off_fee_amount_cents
    from fees
    inner join finalized_invoices
        on fees.invoice_id = finalized_invoices.invoice_id
),

fees_aggregated as (
    select
        month,
        currency,
        cast(sum(subscription_fee_amount_cents) as bigint) as subscription_fee_amount_cents,
        cast(sum(usage_based_fee_amount_cents) as bigint) as usage_based_fee_amount_cents,
        cast(sum(commitment_fee_amount_cents) as bigint) as commitment_fee_amount_cents,
        cast(sum(one_off_fee_amount_cents) as bigint) as one_off_fee_amount_cents
    from fees_split_by_stream
    group by 1, 2
),

contra_aggregated as (
    select
        month,
        currency,
        cast(sum(coupons_amount_cents) as bigint) as coupons_amount_cents,
        cast(sum(credit_notes_amount_cents) as bigint) as credit_notes_amount_cents,
        cast(sum(prepaid_credit_amount_cents) as bigint) as prepaid_credits_amount_cents
    from finalized_invoices
    group by 1, 2
),

streams_joined as (
    select
        contra_aggregated.month,
        contra_aggregated.currency,
        coalesce(fees_aggregated.subscription_fee_amount_cents, 0) as subscription_fee_amount_cents,
        coalesce(fees_aggregated.usage_based_fee_amount_cents, 0) as usage_based_fee_amount_cents,
        coalesce(fees_aggregated.commitment_fee_amount_cents, 0) as commitment_fee_amount_cents,
        coalesce(fees_aggregated.one_off_fee_amount_cents, 0) as one_off_fee_amount_cents,
        contra_aggregated.coupons_amount_cents,
        contra_aggregated.credit_notes_amount_cents,
        contra_aggregated.prepaid_credits_amount_cents
    from contra_aggregated
    left join fees_aggregated
        on contra_aggregated.month = fees_aggregated.month
        and contra_aggregated.currency = fees_aggregated.currency
),

final as (
    select
        {{ surrogate_key(['month', 'currency']) }} as revenue_stream_id,
        month,
        currency,
        subscription_fee_amount_cents,
        usage_based_fee_amount_cents,
        commitment_fee_amount_cents,
        one_off_fee_amount_cents,
        subscription_fee_amount_cents
        + usage_based_fee_amount_cents
        + commitment_fee_amount_cents
        + one_off_fee_amount_cents as gross_revenue_amount_cents,
        coupons_amount_cents,
        credit_notes_amount_cents,
        prepaid_credits_amount_cents,
        coupons_amount_cents
        + credit_notes_amount_cents
        + prepaid_credits_amount_cents as contra_revenue_amount_cents,
        subscription_fee_amount_cents
        + usage_based_fee_amount_cents
        + commitment_fee_amount_cents
        + one_off_fee_amount_cents
        - coupons_amount_cents
        - credit_notes_amount_cents
        - prepaid_credits_amount_cents as net_revenue_amount_cents
    from streams_joined
)

select * from final
