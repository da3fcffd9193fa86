-- What the charge models that price a number of units read (standard,
-- package, graduated, graduated_percentage): every usage row
-- (int_usage_aggregated), and the running totals pay-in-advance charges price
-- before and after each event (int_charge_events_in_advance), one row per
-- bucket and distinct total, so that an event's fee is priced by the very
-- model that prices a period (int_charges_in_advance_priced takes the
-- difference). A running total below 0 prices as 0 and gets no row.
{{ config(materialized='view') }}

with

usage as (
    select
        usage_id,
        charge_model,
        units,
        pricing_properties
    from {{ ref('int_usage_aggregated') }}
),

in_advance_totals as (
    select
        usage_id as bucket_usage_id,
        units_after as units
    from {{ ref('int_charge_events_in_advance') }}
    union
    select
        usage_id as bucket_usage_id,
        units_before as units
    from {{ ref('int_charge_events_in_advance') }}
),

in_advance_snapshots as (
    select
        {{ in_advance_snapshot_id('in_advance_totals.bucket_usage_id', 'in_advance_totals.units') }} as usage_id,
        usage.charge_model,
        cast(in_advance_totals.units as {{ type_precise() }}) as units,
        usage.pricing_properties
    from in_advance_totals
    inner join usage
        on in_advance_totals.bucket_usage_id = usage.usage_id
    where
        in_advance_totals.units >= 0
        and usage.charge_model in ('standard', 'package', 'graduated', 'graduated_percentage')
),

priceable as (
    select * from usage
    union all
    select * from in_advance_snapshots
)

select * from priceable
