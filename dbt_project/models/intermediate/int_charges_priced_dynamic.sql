-- The dynamic charge model (Lago app/services/charge_models/dynamic_service.rb;
-- reference metering-and-pricing.md §5): each event carries its own price,
-- precise_total_amount_cents; amount = the sum of the period's events' prices
-- / the currency's subunit, 0 when the units are 0 (even if the events carry
-- prices); unit amount = amount / units. An event without a price adds 0.
-- Amounts stay precise here; int_charges_priced rounds them once.

with

usage as (
    select
        usage_id,
        currency,
        units
    from {{ ref('int_usage_aggregated') }}
    where charge_model = 'dynamic'
),

usage_events as (
    -- the billable events of each dynamic usage row, with their own price. Only
    -- the dynamic rows' events: summing every event's price first cost 20 s at
    -- 100M events, most of them priced by other charge models.
    select
        usage_id,
        precise_total_amount_cents
    from {{ ref('int_usage_events_valued') }}
    where
        is_valid
        and usage_id in (select usage.usage_id from usage)
),

events_summed as (
    select
        usage_id,
        cast(sum(coalesce(precise_total_amount_cents, 0)) as {{ type_precise() }})
            as precise_total_amount_cents
    from usage_events
    group by 1
),

usage_priced as (
    select
        usage.usage_id,
        case
            when usage.units = 0 then cast(0 as {{ type_precise() }})
            else {{ minor_to_major_units(
                'coalesce(events_summed.precise_total_amount_cents, 0)', 'usage.currency'
            ) }}
        end as precise_amount,
        case
            when usage.units = 0 then cast(0 as {{ type_precise() }})
            else {{ divide_decimal(
                minor_to_major_units('coalesce(events_summed.precise_total_amount_cents, 0)', 'usage.currency'),
                'usage.units'
            ) }}
        end as precise_unit_amount
    from usage
    left join events_summed
        on usage.usage_id = events_summed.usage_id
)

select * from usage_priced
