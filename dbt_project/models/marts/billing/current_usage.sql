-- billing.current_usage: every active subscription's open billing period so
-- far, per charge, filter and pricing group, as Lago's current usage endpoint
-- returns it (GET /customers/{id}/current_usage), kept for every billing day
-- a run ended on.
--
-- Every other model is rebuilt whole as of the run's last billing day; this
-- one keeps the history of usage so far: each run replaces the rows of its
-- last billing day (as_of_date) and leaves the other days as they were. The
-- pre-hook clears the day first, so a rerun of a day that now has no rows
-- leaves none behind; full_refresh false keeps the history through
-- `dbt build --full-refresh` (the Dagster assets' full_refresh config). A
-- single-run backfill over several billing days records its last one only.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='append_new_columns',
        full_refresh=false,
        pre_hook="{% if is_incremental() %}delete from {{ this }} where as_of_date = {{ billing_last_day() }}{% endif %}",
    )
}}

with

current_usage as (
    select * from {{ ref('int_current_usage_taxed') }}
),

usage_totaled as (
    -- the subscription's totals, Lago's top-level amount_cents, taxes and
    -- total: the rounded amounts summed, and its taxes summed unrounded and
    -- rounded once (Invoices::ApplyTaxesService, as an invoice's)
    select
        *,
        cast(sum(amount_cents) over (partition by subscription_id) as bigint)
            as subscription_amount_cents,
        cast(round(sum(taxes_precise_amount_cents) over (partition by subscription_id), 0) as bigint)
            as subscription_taxes_amount_cents
    from current_usage
),

final as (
    select
        {{ surrogate_key([billing_last_day(), 'usage_id']) }} as current_usage_id,
        {{ billing_last_day() }} as as_of_date,
        usage_id,
        external_subscription_id,
        subscription_id,
        external_customer_id,
        plan_code,
        currency,
        from_datetime,
        to_datetime,
        to_datetime_exclusive,
        issuing_date,
        code,
        aggregation_type,
        charge_id,
        charge_model,
        invoice_display_name,
        charge_filter_id,
        filter_display_name,
        filter_values,
        grouped_by,
        units,
        events_count,
        precise_amount,
        amount_cents,
        taxes_rate,
        taxes_amount_cents,
        subscription_amount_cents,
        subscription_taxes_amount_cents,
        subscription_amount_cents + subscription_taxes_amount_cents as subscription_total_amount_cents
    from usage_totaled
)

select * from final
