-- The usage so far of every active subscription, as of the run: the priced
-- usage rows (int_charges_priced, the aggregation and charge models that will
-- bill the period) of its open charges period, the one holding the last
-- instant of the run's last billing day:
-- charges_from_datetime < as_of <= charges_to_datetime. A period that ends at
-- as_of is not invoiced before the next billing day, so it is still open; a
-- subscription that ended before as_of has none (Lago shows the usage of
-- active subscriptions only) and one starting later has not started.
-- Events count when timestamped and received before as_of
-- (int_events_validated), so the period is priced with the events known so
-- far, to its end boundary, as its invoice will be.
--
-- Lago Invoices::CustomerUsageService (context :current_usage of
-- Fees::ChargeService): every charge of the plan, pay in advance or not
-- invoiceable ones too; one row per filter bucket and pricing group, zero
-- units kept; no charge minimum (the true-up is only computed for invoices)
-- and no coupon. Its issuing_date is the period's last day
-- (DatesService#next_end_of_period), the day before the invoice that bills it.

with

charges_priced as (
    select
        usage_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        charge_id,
        billable_metric_code,
        charge_invoice_display_name,
        aggregation_type,
        charge_model,
        currency,
        charge_filter_id,
        filter_display_name,
        grouped_by,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive,
        charges_issuing_date,
        units,
        events_count,
        precise_amount,
        amount_cents
    from {{ ref('int_charges_priced') }}
    where
        charges_from_datetime < {{ billing_as_of() }}
        and charges_to_datetime >= {{ billing_as_of() }}
),

charge_filters as (
    select
        charge_filter_id,
        filter_values
    from {{ ref('stg_raw__charge_filters') }}
),

current_usage as (
    select
        charges_priced.usage_id,
        charges_priced.subscription_id,
        charges_priced.external_subscription_id,
        charges_priced.external_customer_id,
        charges_priced.plan_code,
        charges_priced.currency,
        charges_priced.charges_from_datetime as from_datetime,
        charges_priced.charges_to_datetime_inclusive as to_datetime,
        charges_priced.charges_to_datetime as to_datetime_exclusive,
        -- the local day of the inclusive end: the day before the issuing
        -- date when the period ends at a local midnight, the day itself when
        -- it ends at a termination instant
        case
            when charges_priced.charges_to_datetime_inclusive < charges_priced.charges_to_datetime
                then cast({{ dbt.dateadd('day', -1, 'charges_priced.charges_issuing_date') }} as date)
            else charges_priced.charges_issuing_date
        end as issuing_date,
        charges_priced.billable_metric_code as code,
        charges_priced.aggregation_type,
        charges_priced.charge_id,
        charges_priced.charge_model,
        charges_priced.charge_invoice_display_name as invoice_display_name,
        charges_priced.charge_filter_id,
        charges_priced.filter_display_name,
        charge_filters.filter_values,
        charges_priced.grouped_by,
        charges_priced.units,
        charges_priced.events_count,
        charges_priced.precise_amount,
        charges_priced.amount_cents
    from charges_priced
    left join charge_filters
        on charges_priced.charge_filter_id = charge_filters.charge_filter_id
)

select * from current_usage
