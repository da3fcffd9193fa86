-- The charge models that price usage through ranges (tiers), unioned:
-- graduated, volume and graduated_percentage (one model each). A step of
-- int_charges_priced's union, so that no model reads more than a handful of
-- parents.

with

prices_by_model as (
    select * from {{ ref('int_charges_priced_graduated') }}
    union all
    select * from {{ ref('int_charges_priced_volume') }}
    union all
    select * from {{ ref('int_charges_priced_graduated_percentage') }}
)

select * from prices_by_model
