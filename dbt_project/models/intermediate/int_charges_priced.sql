-- Every usage row priced by its charge model, each model its own sibling
-- model unioned here (standard, package, graduated, volume and
-- graduated_percentage through int_charges_priced_by_units; percentage and
-- dynamic through int_charges_priced_by_events), then turned into a fee
-- amount the way Lago does for every model
-- (app/services/fees/charge_service.rb#init_fee, reference
-- metering-and-pricing.md §8):
-- - negative units or a negative amount give 0 units and 0 amount;
-- - amount_cents = precise amount rounded half away from zero to the
--   currency's minor unit, once per fee.

with

usage as (
    select * from {{ ref('int_usage_aggregated') }}
),

prices_by_model as (
    -- standard, package, graduated, volume, graduated_percentage
    select * from {{ ref('int_charges_priced_by_units') }}
    union all
    -- percentage, dynamic
    select * from {{ ref('int_charges_priced_by_events') }}
),

usage_priced as (
    select
        usage.*,
        prices_by_model.precise_amount as model_precise_amount,
        prices_by_model.precise_unit_amount as model_precise_unit_amount,
        usage.units < 0 or prices_by_model.precise_amount < 0 as is_negative
    from usage
    inner join prices_by_model
        on usage.usage_id = prices_by_model.usage_id
),

fees_rounded as (
    select
        {{ surrogate_key(["'charge'", 'usage_id']) }} as charge_fee_id,
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
        aggregation_type,
        charge_model,
        is_pay_in_advance,
        -- billed per event (int_charges_in_advance_priced), not with the period
        -- unless its metric is recurring
        {{ is_billed_per_event('is_pay_in_advance', 'aggregation_type', 'charge_model') }} as is_billed_per_event,
        -- left off the period's invoice: billed per event, and either not
        -- recurring or ending with the subscription (Lago re-bills a recurring
        -- one for the period starting, so not when none starts: a termination
        -- or an upgrade; Invoices::CalculateFeesService#should_not_create_charge_fee?)
        {{ is_billed_per_event('is_pay_in_advance', 'aggregation_type', 'charge_model') }}
        and (
            not is_recurring
            or coalesce(version_ended_by, '') in ('termination', 'ending_at', 'upgrade')
        ) as is_left_off_period_invoice,
        is_recurring,
        is_invoiceable,
        currency,
        charge_filter_id,
        filter_display_name,
        grouped_by,
        charges_from_datetime,
        charges_to_datetime,
        charges_to_datetime_inclusive,
        charges_issuing_date,
        case when is_negative then cast(0 as {{ type_precise() }}) else units end as units,
        events_count,
        case
            when is_negative then cast(0 as {{ type_precise() }})
            else model_precise_unit_amount
        end as precise_unit_amount,
        case
            when is_negative then cast(0 as {{ type_precise() }})
            else model_precise_amount
        end as precise_amount,
        case
            when is_negative then cast(0 as {{ type_precise() }})
            else cast(
                model_precise_amount * {{ currency_subunit_to_unit('currency') }}
                as {{ type_precise() }}
            )
        end as precise_amount_cents,
        case
            when is_negative then cast(0 as bigint)
            else {{ to_minor_units('model_precise_amount', 'currency') }}
        end as amount_cents
    from usage_priced
)

select * from fees_rounded
