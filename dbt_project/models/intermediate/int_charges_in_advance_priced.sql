-- The fee of every event a pay-in-advance charge bills on receipt (Lago
-- Charges::ApplyPayInAdvanceChargeModelService; reference
-- metering-and-pricing.md §6): the charge model's price of the bucket's
-- running total with the event minus its price without it
-- (int_charge_events_in_advance), rounded half away from zero once per fee.
-- Issued at the event's timestamp, on the customer's local day; only events
-- before the run's as_of and issuing day before its `to`.
-- - standard, package, graduated, graduated_percentage: both totals are
--   priced by the period's own models (int_usage_priceable); the total
--   without the first event of a period is worth 0 (Lago prices it with
--   exclude_event, which drops a graduated first range's flat amount, so the
--   first event pays it); a total below 0 prices as 0.
-- - percentage: the period's formula (int_charges_priced_percentage) on the
--   events so far: free units and free events from the running totals listed
--   up to the event, paying events x fixed_amount; with per-transaction
--   min/max the event pays its own clamped amount (value x rate +
--   fixed_amount) unless free.
-- - dynamic: the events' own prices summed so far, 0 while the total is 0.
-- Volume cannot be paid in advance (Lago Charge#validate_pay_in_advance):
-- assert_catalog_uses_only_supported_features warns.
-- A negative difference is a fee of 0 units and 0 amount, as any fee.
-- invoice_id: the event's own invoice (advance_charge_invoice_id) when the
-- charge is invoiceable, else null (the fee is recorded only). With the
-- organization's in_advance_charges_invoicing `daily` (ours, not Lago's), a
-- subscription's invoiceable fees of one local day share one invoice, made at
-- the end of that day (so only once the day is over by as_of).

with

events as (
    select * from {{ ref('int_charge_events_in_advance') }}
),

usage as (
    select
        usage_id,
        charge_period_id,
        billing_period_id,
        subscription_id,
        external_subscription_id,
        external_customer_id,
        plan_code,
        charge_id,
        charge_position,
        billable_metric_code,
        charge_invoice_display_name,
        charge_model,
        pricing_properties,
        is_invoiceable,
        currency,
        charge_filter_id,
        filter_display_name,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive
    from {{ ref('int_usage_aggregated') }}
),

subscriptions as (
    select
        subscription_id,
        timezone
    from {{ ref('int_subscriptions_resolved') }}
),

organization as (
    select in_advance_charges_invoicing
    from {{ ref('stg_raw__organizations') }}
),

unit_prices as (
    -- the running totals priced by the period's models (int_usage_priceable)
    select
        usage_id,
        precise_amount
    from {{ ref('int_charges_priced_by_units') }}
),

events_with_usage as (
    select
        events.*,
        usage.billing_period_id,
        usage.subscription_id,
        usage.external_customer_id,
        usage.plan_code,
        usage.charge_position,
        usage.billable_metric_code,
        usage.charge_invoice_display_name,
        usage.charge_model,
        usage.pricing_properties,
        usage.is_invoiceable,
        usage.currency,
        usage.filter_display_name,
        usage.charges_from_datetime,
        usage.charges_to_datetime,
        usage.charges_to_datetime_inclusive,
        subscriptions.timezone,
        -- the total without the event is worth nothing before a period's first event
        events.event_number = 1 and not events.is_recurring as is_first_of_period
    from events
    inner join usage
        on events.usage_id = usage.usage_id
    inner join subscriptions
        on usage.subscription_id = subscriptions.subscription_id
),

---------- standard, package, graduated, graduated_percentage

unit_priced_events as (
    select
        events_with_usage.event_id,
        events_with_usage.charge_id,
        coalesce(price_after.precise_amount, 0)
        - case
            when events_with_usage.is_first_of_period then 0
            else coalesce(price_before.precise_amount, 0)
        end as precise_amount
    from events_with_usage
    left join unit_prices as price_after
        -- a total below 0 has no priced row: it is worth 0
        on price_after.usage_id = {{ in_advance_snapshot_id('events_with_usage.usage_id', 'events_with_usage.units_after') }}
    left join unit_prices as price_before
        on price_before.usage_id = {{ in_advance_snapshot_id('events_with_usage.usage_id', 'events_with_usage.units_before') }}
    where events_with_usage.charge_model in ('standard', 'package', 'graduated', 'graduated_percentage')
),

---------- percentage

percentage_events as (
    select
        event_id,
        charge_id,
        usage_id,
        event_number,
        event_value,
        units_after,
        units_before,
        {{ percentage_property_columns('pricing_properties') }},
        cast(
            sum(event_value) over (
                partition by usage_id order by event_number rows between unbounded preceding and current row
            ) as {{ type_precise() }}
        ) as running_total
    from events_with_usage
    where charge_model = 'percentage'
),

percentage_events_listed as (
    select
        *,
        -- Lago's running_total list: the first N events, else the events up
        -- to and including the one crossing T
        case
            when free_units_per_events > 0 then event_number <= free_units_per_events
            when free_units_per_total_aggregation > 0
                then running_total - event_value <= free_units_per_total_aggregation
            else false
        end as is_in_running_totals
    from percentage_events
),

percentage_prefixes as (
    -- the running-total list of the events so far
    select
        *,
        last_value(case when is_in_running_totals then running_total end ignore nulls) over (
            partition by usage_id order by event_number rows between unbounded preceding and current row
        ) as last_listed_total,
        count(case when is_in_running_totals and running_total < free_units_per_total_aggregation then 1 end)
            over (
                partition by usage_id order by event_number rows between unbounded preceding and current row
            ) as listed_below_free_total,
        min(case when running_total >= free_units_per_total_aggregation then event_number end)
            over (partition by usage_id) as free_total_reached_at
    from percentage_events_listed
),

percentage_prefix_terms as (
    select
        *,
        case
            when coalesce(last_listed_total, 0) = 0 then 0
            when free_units_per_total_aggregation = 0 or last_listed_total <= free_units_per_total_aggregation
                then last_listed_total
            else free_units_per_total_aggregation
        end as free_units,
        case
            when free_units_per_events > 0 and listed_below_free_total > 0
                then least(free_units_per_events, listed_below_free_total)
            when free_units_per_events > 0 then free_units_per_events
            else listed_below_free_total
        end as free_events
    from percentage_prefixes
),

percentage_prefix_amounts as (
    -- the amount of the events so far: (units - free units) x rate + paying
    -- events x fixed_amount; the one before the event, from the previous prefix
    select
        *,
        {{ percentage_prefix_amount('units_after', 'event_number', 'free_units', 'free_events') }}
            as amount_after,
        case
            when event_number = 1 then cast(0 as {{ type_precise() }})
            else {{ percentage_prefix_amount(
                'units_before',
                'event_number - 1',
                'lag(free_units) over (partition by usage_id order by event_number)',
                'lag(free_events) over (partition by usage_id order by event_number)'
            ) }}
        end as amount_before
    from percentage_prefix_terms
),

percentage_priced_events as (
    select
        event_id,
        charge_id,
        case
            when per_transaction_min_amount is not null or per_transaction_max_amount is not null then
                -- the event's own amount, clamped, unless free
                case
                    when free_units_per_total_aggregation > 0
                        and (free_total_reached_at is null or event_number < free_total_reached_at)
                        then 0
                    when free_units_per_total_aggregation = 0 and event_number <= free_units_per_events
                        then 0
                    else
                        {{ clamp_amount(
                            '(case when event_number = free_total_reached_at and free_units_per_total_aggregation > 0'
                            ~ ' then running_total - free_units_per_total_aggregation else event_value end)'
                            ~ ' * rate_fraction + fixed_amount',
                            'per_transaction_min_amount',
                            'per_transaction_max_amount'
                        ) }}
                end
            else amount_after - amount_before
        end as precise_amount
    from percentage_prefix_amounts
),

---------- dynamic

dynamic_events as (
    select
        event_id,
        charge_id,
        units_after,
        units_before,
        event_number,
        is_first_of_period,
        currency,
        cast(
            sum(coalesce(precise_total_amount_cents, 0)) over (
                partition by usage_id order by event_number rows between unbounded preceding and current row
            ) as {{ type_precise() }}
        ) as cents_after,
        coalesce(precise_total_amount_cents, 0) as event_cents
    from events_with_usage
    where charge_model = 'dynamic'
),

dynamic_priced_events as (
    select
        event_id,
        charge_id,
        case when units_after <= 0 then 0 else {{ minor_to_major_units('cents_after', 'currency') }} end
        - case
            when is_first_of_period or units_before <= 0 then 0
            else {{ minor_to_major_units('cents_after - event_cents', 'currency') }}
        end as precise_amount
    from dynamic_events
),

---------- fees

priced_events as (
    select * from unit_priced_events
    union all
    select * from percentage_priced_events
    union all
    select * from dynamic_priced_events
),

events_dated as (
    select
        events_with_usage.*,
        {{ local_date('events_with_usage.occurred_at', 'events_with_usage.timezone') }} as issuing_date,
        organization.in_advance_charges_invoicing = 'daily' and events_with_usage.is_invoiceable
            as is_invoiced_daily
    from events_with_usage
    cross join organization
),

events_billed as (
    select
        *,
        -- the instant the fee's invoice is made: the event's, or the end of its
        -- local day when invoiced daily
        case
            when is_invoiced_daily
                then {{ local_day_start(dbt.dateadd('day', 1, 'issuing_date'), 'timezone') }}
            else occurred_at
        end as billed_at
    from events_dated
),

fees as (
    select
        {{ surrogate_key(["'charge_in_advance'", 'events_with_usage.charge_id', 'events_with_usage.event_id']) }}
            as charge_in_advance_fee_id,
        case
            when events_with_usage.is_invoiced_daily
                then {{ advance_charges_day_invoice_id('events_with_usage.subscription_id', 'events_with_usage.issuing_date') }}
            when events_with_usage.is_invoiceable
                then {{ advance_charge_invoice_id('events_with_usage.charge_id', 'events_with_usage.event_id') }}
        end as invoice_id,
        events_with_usage.event_id,
        events_with_usage.transaction_id,
        events_with_usage.usage_id,
        events_with_usage.charge_period_id,
        events_with_usage.billing_period_id,
        events_with_usage.subscription_id,
        events_with_usage.external_subscription_id,
        events_with_usage.external_customer_id,
        events_with_usage.plan_code,
        events_with_usage.charge_id,
        events_with_usage.charge_position,
        events_with_usage.billable_metric_code,
        events_with_usage.charge_invoice_display_name,
        events_with_usage.aggregation_type,
        events_with_usage.charge_model,
        events_with_usage.is_recurring,
        events_with_usage.is_invoiceable,
        events_with_usage.currency,
        events_with_usage.charge_filter_id,
        events_with_usage.filter_display_name,
        events_with_usage.grouped_by,
        events_with_usage.charges_from_datetime,
        events_with_usage.charges_to_datetime,
        events_with_usage.charges_to_datetime_inclusive,
        events_with_usage.billed_at,
        events_with_usage.issuing_date,
        events_with_usage.units_before,
        events_with_usage.units_after,
        priced_events.precise_amount < 0 as is_negative,
        events_with_usage.fee_units,
        priced_events.precise_amount as model_precise_amount
    from events_billed as events_with_usage
    inner join priced_events
        on
            events_with_usage.event_id = priced_events.event_id
            and events_with_usage.charge_id = priced_events.charge_id
    where
        events_with_usage.occurred_at < {{ billing_as_of() }}
        -- a day's invoice waits for the day to end
        and (not events_with_usage.is_invoiced_daily or events_with_usage.billed_at <= {{ billing_as_of() }})
),

fees_rounded as (
    select
        * exclude (is_negative, fee_units, model_precise_amount),
        case when is_negative then cast(0 as {{ type_precise() }}) else fee_units end as units,
        cast(1 as bigint) as events_count,
        case
            when is_negative then cast(0 as {{ type_precise() }})
            else cast(model_precise_amount as {{ type_precise() }})
        end as precise_amount,
        case
            when is_negative or fee_units = 0 then cast(0 as {{ type_precise() }})
            else {{ divide_decimal('model_precise_amount', 'fee_units') }}
        end as precise_unit_amount,
        case
            when is_negative then cast(0 as {{ type_precise() }})
            else cast(
                model_precise_amount * {{ currency_subunit_to_unit('currency') }} as {{ type_precise() }}
            )
        end as precise_amount_cents,
        case
            when is_negative then cast(0 as bigint)
            else {{ to_minor_units('model_precise_amount', 'currency') }}
        end as amount_cents
    from fees
    where issuing_date < {{ billing_to_date() }}
)

select * from fees_rounded
