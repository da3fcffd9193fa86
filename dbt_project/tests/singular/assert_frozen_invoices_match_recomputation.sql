-- Warns, one row per frozen invoice whose recomputation today gives another
-- total: the catalog was edited after it was finalized (a price, a coupon, a
-- credit note or a wallet dated in the past). The frozen invoice stands
-- (macros/ledger.sql); the difference is for an accountant to book, e.g. as a
-- credit note. Until then, balances derived from earlier invoices (a coupon's
-- remainder, a credit note's or a wallet's balance) follow the recomputation
-- (DECISIONLOG.md, The ledger of finalized invoices).
{{ config(severity='warn') }}

with

frozen as (
    select
        invoice_id,
        number,
        total_amount_cents
    from {{ ref('invoices') }}
    where invoice_id in (select invoice_id from {{ ledger_register() }})
),

recomputed as (
    select
        invoice_id,
        total_amount_cents
    from {{ ref('int_invoices_assembled') }}
)

select
    frozen.number,
    frozen.total_amount_cents as frozen_total_amount_cents,
    recomputed.total_amount_cents as recomputed_total_amount_cents
from frozen
inner join recomputed
    on frozen.invoice_id = recomputed.invoice_id
where frozen.total_amount_cents <> recomputed.total_amount_cents
