{#- The run's billing window, set by Dagster per run:
    - `from`  first billing day of the run (inclusive). Informational: models
              are functions of the events, the catalog and as_of, so it
              selects nothing (the incremental event models find what changed
              themselves, macros/event_increments.sql).
    - `to`    day after the last billing day (exclusive): every invoice whose
              issuing_date < `to` is produced.
    - `as_of` the instant the run acts as of (= `to` 00:00 UTC): events
              received at or after it are not known yet; an invoice whose grace
              period has ended by then is finalized.
    Dagster passes them as environment variables (BILLING_WINDOW_FROM,
    BILLING_WINDOW_TO, BILLING_WINDOW_AS_OF, lib/dbt_vars.py), read only when
    dbt executes: the parsed project never depends on the window, so dbt's
    partial parsing still applies from one run to the next (a `--vars` that
    changes every run forces a full parse, ~7 s). First wins: a var given on
    the command line (`--vars '{from: .., to: .., as_of: ..}'`) or by a unit
    test's overrides, the environment variable, then dbt_project.yml's
    `billing_window_default`.
    Models read the window only through these macros, never current_date. -#}

{% macro _billing_window_part(name, env_name) -%}
    {%- if not execute -%}
        {#- parse time: a fixed placeholder, so the window is no part of the parse -#}
        {{ return(var('billing_window_default')[name]) }}
    {%- endif -%}
    {%- set given = var(name, none) -%}
    {%- if given is not none -%}
        {{ return(given) }}
    {%- endif -%}
    {{ return(env_var(env_name, var('billing_window_default')[name])) }}
{%- endmacro %}

{% macro billing_from_date() -%}
    cast('{{ _billing_window_part("from", "BILLING_WINDOW_FROM") }}' as date)
{%- endmacro %}

{% macro billing_to_date() -%}
    cast('{{ _billing_window_part("to", "BILLING_WINDOW_TO") }}' as date)
{%- endmacro %}

{% macro billing_as_of() -%}
    cast('{{ _billing_window_part("as_of", "BILLING_WINDOW_AS_OF") }}' as timestamp)
{%- endmacro %}

{#- The run's last billing day (`to` - 1 day): the day a snapshot taken by the
    run (billing.current_usage) is kept under. -#}
{% macro billing_last_day() -%}
    cast({{ dbt.dateadd('day', -1, billing_to_date()) }} as date)
{%- endmacro %}


{#- The instant an invoice becomes finalized: 00:00 UTC of issuing_date + its
    grace period in days (Lago: expected_finalization_date = date + grace days,
    app/services/invoices/create_generating_service.rb). The invoice is
    finalized when this instant is <= as_of; events received from then on are
    late for it (late_for_finalized_invoice). -#}
{% macro invoice_finalizes_at(issuing_date, grace_period_days) -%}
    cast({{ dbt.dateadd('day', grace_period_days, 'cast(' ~ issuing_date ~ ' as date)') }} as timestamp)
{%- endmacro %}


{#- Zero-pad an integer to at least `width` digits (Ruby's %03d: 7 -> 007,
    1234 -> 1234; lpad alone would truncate). -#}
{% macro zero_pad(value, width) -%}
    case
        when length(cast({{ value }} as {{ dbt.type_string() }})) >= {{ width }}
            then cast({{ value }} as {{ dbt.type_string() }})
        else lpad(cast({{ value }} as {{ dbt.type_string() }}), {{ width }}, '0')
    end
{%- endmacro %}
