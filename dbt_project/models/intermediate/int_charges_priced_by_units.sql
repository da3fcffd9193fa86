-- The charge models that price a number of units, unioned: standard,
-- package, and through int_charges_priced_by_ranges graduated, volume and
-- graduated_percentage. They price every row of int_usage_priceable: the
-- period's usage rows (int_charges_priced) and the running totals of
-- pay-in-advance charges (int_charges_in_advance_priced).
{{ config(materialized='view') }}

with

prices_by_model as (
    select * from {{ ref('int_charges_priced_standard') }}
    union all
    select * from {{ ref('int_charges_priced_package') }}
    union all
    -- graduated, volume, graduated_percentage
    select * from {{ ref('int_charges_priced_by_ranges') }}
)

select * from prices_by_model
