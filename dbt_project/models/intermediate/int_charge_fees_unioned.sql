-- Every charge fee of every billing period, wherever it is billed, as a
-- minimum commitment counts them (int_commitment_fees_computed): the
-- period's invoiceable charge fees, the fees of each event of a
-- pay-in-advance charge (int_charges_in_advance_priced, invoiceable or not;
-- a non-recurring one is not billed with the period), and the charges'
-- minimum-spend true-ups.
{{ config(materialized='view') }}

with

period_charge_fees as (
    select
        charge_fee_id as fee_id,
        'period' as billed_as,
        billing_period_id,
        amount_cents,
        precise_amount_cents
    from {{ ref('int_charges_priced') }}
    where is_invoiceable and not is_left_off_period_invoice
),

event_charge_fees as (
    select
        charge_in_advance_fee_id as fee_id,
        'event' as billed_as,
        billing_period_id,
        amount_cents,
        precise_amount_cents
    from {{ ref('int_charges_in_advance_priced') }}
),

true_up_fees as (
    select
        charge_true_up_fee_id as fee_id,
        'true_up' as billed_as,
        billing_period_id,
        amount_cents,
        precise_amount_cents
    from {{ ref('int_charge_true_ups_computed') }}
    where is_invoiceable
),

charge_fees as (
    select * from period_charge_fees
    union all
    select * from event_charge_fees
    union all
    select * from true_up_fees
)

select * from charge_fees
