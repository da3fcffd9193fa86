-- The charge models that price single events, unioned: percentage (free
-- units and per-transaction limits follow the events) and dynamic (each event
-- carries its price). A step of int_charges_priced's union, so that no model
-- reads more than a handful of parents.

with

prices_by_model as (
    select * from {{ ref('int_charges_priced_percentage') }}
    union all
    select * from {{ ref('int_charges_priced_dynamic') }}
)

select * from prices_by_model
