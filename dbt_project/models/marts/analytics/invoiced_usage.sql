-- Invoiced usage per issuing month, currency and billable metric: Lago's v1
-- definition (app/models/analytics/invoiced_usage.rb, reference/analytics.md
-- §2.3), the charge fees' amount after their share of coupons and before
-- tax. Deliberate difference: only finalized invoices count (Lago counts fees
-- of draft and voided invoices too), so a past month does not move while its
-- invoices are drafts. Usage of the running period has no fee yet and is not
-- in it (billing.usage has it).

with

finalized_invoices as (
    select
        invoice_id,
        cast({{ dbt.date_trunc('month', 'issuing_date') }} as date) as month
    from {{ ref('invoices') }}
    where status = 'finalized'
),

charge_fees as (
    select
        invoice_id,
        code,
        currency,
        units,
        events_count,
        amount_cents,
        precise_coupons_amount
    from {{ ref('fees') }}
    where fee_type = 'charge'
),

usage_aggregated as (
    select
        finalized_invoices.month,
        charge_fees.currency,
        charge_fees.code,
        cast(sum(charge_fees.amount_cents) as bigint) as fees_amount_cents,
        -- coupons are kept precise per fee and rounded once per row
        sum(coalesce(charge_fees.precise_coupons_amount, 0)) as precise_coupons_amount,
        sum(charge_fees.units) as units,
        cast(sum(coalesce(charge_fees.events_count, 0)) as bigint) as events_count,
        count(*) as fees_count
    from charge_fees
    inner join finalized_invoices
        on charge_fees.invoice_id = finalized_invoices.invoice_id
    group by 1, 2, 3
),

final as (
    select
        {{ surrogate_key(['month', 'currency', 'code']) }} as invoiced_usage_id,
        month,
        currency,
        code,
        fees_amount_cents - {{ to_minor_units('precise_coupons_amount', 'currency') }} as amount_cents,
        fees_amount_cents,
        units,
        events_count,
        fees_count
    from usage_aggregated
)

select * from final
