{#- The ledger of finalized invoices: once finalized, an invoice is frozen.

    Every billing mart whose rows belong to one invoice (invoices, its subscriptions,
    fees, applied taxes, credits, outbound wallet transactions) is an incremental model
    (`frozen_mart_config()`) built by `ledger_mart_rows()`, with `delete_open_rows()` as its
    pre-hook and `freeze_finalized()` as its post-hook. The schema `ledger` holds, per mart,
    the rows of every frozen invoice as they were when it was finalized, and
    `ledger.invoice_register` lists the frozen invoices (the view
    `ledger.frozen_invoices` shows it). dbt never builds or drops
    these tables (they are not models), so neither a rerun, a backfill, a changed
    catalog, a late event nor `--full-refresh` can change a frozen invoice:

    1. a mart keeps the rows of its frozen invoices and a run replaces only the others
       (rows of invoices not in the register, and rows of no invoice): the pre-hook deletes
       them and the model inserts this run's. A full build (the first, `--full-refresh`)
       takes the frozen invoices' rows from the ledger. A nightly run so writes the rows of
       its open invoices, not the whole history again;
    2. rows of invoices finalized by this run are copied into the ledger
       (leftovers of a run that failed before registering them are replaced);
    3. `ledger.frozen_invoices` (models/ledger/), built after every frozen mart,
       registers the newly finalized invoices (`register_finalized_invoices`). A run that
       fails before then registers nothing: the next run computes those invoices again and
       freezes them then.

    A frozen row comes back `by name`: a column added to a mart later is NULL on rows
    frozen before it existed (`on_schema_change='sync_all_columns'` adds it to the mart
    so), and is added to the ledger table on the fly.
-#}

{% macro ledger_register() -%}
    {#- The register is named, not a dbt source: it is written after the billing marts
        and read before them (numbering), which lineage would call a cycle. -#}
    ledger.invoice_register
{%- endmacro %}


{% macro ensure_ledger_schema() -%}
    {#- Not a dbt model: dbt never drops or rebuilds it, not even with --full-refresh.
        Run once per invocation by `on-run-start` (dbt_project.yml), before any model:
        created from the post-hooks of models built in parallel threads, DuckDB
        reported a write-write conflict on it. -#}
    create schema if not exists ledger;
    create table if not exists ledger.invoice_register (
        invoice_id varchar,
        number varchar,
        external_customer_id varchar,
        currency varchar,
        issuing_date date,
        total_amount_cents bigint,
        finalized_at timestamp,
        frozen_as_of timestamp
    );
{%- endmacro %}


{% macro finalized_invoice_ids() -%}
    {#- every invoice, threshold top-ups' credit invoices (decided by the wallet
        walk, after int_invoices_scheduled) included -#}
    select invoice_id from {{ ref('int_invoice_numbers_assigned') }} where is_finalized
{%- endmacro %}


{#- The config of a frozen mart (`{{ config(**frozen_mart_config()) }}`): incremental, the
    pre-hook deleting its open rows, the post-hook copying this run's newly finalized
    invoices to the ledger. mutable: the invoices mart, whose frozen rows are rewritten when
    their mutable columns change (`delete+insert` keyed by invoice_id). -#}
{% macro frozen_mart_config(mutable=false) -%}
    {%- set settings = {
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'sync_all_columns',
        'pre_hook': '{{ delete_open_rows() }}',
        'post_hook': '{{ freeze_finalized() }}',
    } -%}
    {%- if mutable -%}
        {%- do settings.update(
            {'incremental_strategy': 'delete+insert', 'unique_key': 'invoice_id'}
        ) -%}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}


{#- Rows of no frozen invoice (rows of no invoice included): a run computes them again. -#}
{% macro _is_open() -%}
    (invoice_id is null or invoice_id not in (select invoice_id from {{ ledger_register() }}))
{%- endmacro %}


{#- A frozen mart's rows, from `computed` (the CTE of this run's rows): on an increment,
    this run's rows of open invoices (the pre-hook deleted the mart's; the frozen ones stay
    as they are); on a full build, those and the ledger's rows of every frozen invoice.
    mutable_columns: facts that keep changing after finalization (an invoice's status,
    which a void changes, and payment_status): a frozen row takes this run's values (with
    the `delete+insert` strategy keyed by invoice_id, an increment rewrites the frozen rows
    whose values changed). -#}
{% macro ledger_mart_rows(computed, mutable_columns=[]) -%}
    select * from {{ computed }}
    where {{ _is_open() }}
    {%- set frozen = _ledger_frozen_rows(computed, mutable_columns) | trim %}
    {%- if frozen %}
    union all by name
    {{ frozen }}
    {%- endif %}
{%- endmacro %}


{% macro _ledger_frozen_rows(computed, mutable_columns) -%}
    {%- set fresh_values -%}
        {%- for column in mutable_columns -%}
            case when fresh.invoice_id is null then frozen.{{ column }} else fresh.{{ column }} end
                as {{ column }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    {%- endset -%}
    {%- if is_incremental() -%}
        {%- if mutable_columns -%}
    select frozen.* replace ({{ fresh_values }})
    from {{ this }} as frozen
    inner join {{ computed }} as fresh
        on frozen.invoice_id = fresh.invoice_id
    where
        frozen.invoice_id in (select invoice_id from {{ ledger_register() }})
        and ({% for column in mutable_columns -%}
            frozen.{{ column }} is distinct from fresh.{{ column }}{{ ' or ' if not loop.last }}
        {%- endfor %})
        {%- endif -%}
    {%- elif execute and _ledger_relation() is not none -%}
    select frozen.*{{ ' replace (' ~ fresh_values ~ ')' if mutable_columns }}
    from {{ _ledger_relation() }} as frozen
        {%- if mutable_columns %}
    left join {{ computed }} as fresh
        on frozen.invoice_id = fresh.invoice_id
        {%- endif %}
    where frozen.invoice_id in (select invoice_id from {{ ledger_register() }})
    {%- endif -%}
{%- endmacro %}


{% macro _ledger_relation() -%}
    {{ return(adapter.get_relation(
        database=this.database, schema='ledger', identifier=this.identifier
    )) }}
{%- endmacro %}


{#- pre_hook of a frozen mart: on an increment, its rows of open invoices go; the model
    inserts this run's. -#}
{% macro delete_open_rows() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ _is_open() }}
    {%- else -%}
    select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}


{#- post_hook of a frozen mart: this run's newly finalized invoices into the ledger. -#}
{% macro freeze_finalized() -%}
    {%- set finalized_invoices_sql = finalized_invoice_ids() -%}
    {%- set ledger_table = 'ledger.' ~ this.identifier -%}
    create table if not exists {{ ledger_table }} as
        select * from {{ this }} where false;
    {{ _ledger_add_missing_columns(ledger_table) }}
    -- invoices this run finalized: into the ledger (replacing a failed run's leftovers)
    delete from {{ ledger_table }}
        where invoice_id not in (select invoice_id from {{ ledger_register() }});
    insert into {{ ledger_table }} by name
        select * from {{ this }}
        where invoice_id in ({{ finalized_invoices_sql }})
            and invoice_id not in (select invoice_id from {{ ledger_register() }});
{%- endmacro %}


{% macro _ledger_add_missing_columns(ledger_table) -%}
    {#- Run-time only: at parse time the relations may not exist. -#}
    {%- if execute -%}
        {%- set ledger_relation = adapter.get_relation(database=this.database, schema='ledger', identifier=this.identifier) -%}
        {%- if ledger_relation is not none -%}
            {%- set existing = adapter.get_columns_in_relation(ledger_relation) | map(attribute='name') | map('lower') | list -%}
            {%- for column in adapter.get_columns_in_relation(this) -%}
                {%- if column.name | lower not in existing %}
    alter table {{ ledger_table }} add column {{ adapter.quote(column.name) }} {{ column.data_type }};
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{% macro register_finalized_invoices() -%}
    {#- Post-hook of ledger.frozen_invoices: runs only once every frozen mart has been
        built (the model depends on them), so every row of these invoices is in the
        ledger already. -#}
    insert into ledger.invoice_register
        select
            invoice_id,
            number,
            external_customer_id,
            currency,
            issuing_date,
            total_amount_cents,
            finalized_at,
            {{ billing_as_of() }} as frozen_as_of
        from {{ ref('invoices') }}
        where status in ('finalized', 'voided')
            and invoice_id not in (select invoice_id from ledger.invoice_register);
{%- endmacro %}
