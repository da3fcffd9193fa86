{#- ISO 4217 minor units (the exponent): how many decimals a currency's cents
    have. Lago takes them from money-rails (`currency.exponent`); every
    rounding to `_cents` goes through these macros, never a literal 100.
    Currencies not listed have 2 decimals, as in ISO 4217. -#}
{% macro currency_minor_units(currency) -%}
    case
        when {{ currency }} in (
            'BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG',
            'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'
        ) then 0
        when {{ currency }} in (
            'BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'
        ) then 3
        when {{ currency }} in ('CLF', 'UYW') then 4
        else 2
    end
{%- endmacro %}


{#- 10 ^ minor units as an integer: cents per major unit (money-rails
    `subunit_to_unit`). -#}
{% macro currency_subunit_to_unit(currency) -%}
    case {{ currency_minor_units(currency) }}
        when 0 then 1
        when 3 then 1000
        when 4 then 10000
        else 100
    end
{%- endmacro %}


{#- A precise amount in major units -> integer minor units, rounded half away
    from zero once (Lago: `amount.round(currency.exponent) * subunit_to_unit`,
    app/services/fees/charge_service.rb; money-rails ROUND_HALF_UP). -#}
{% macro to_minor_units(precise_major_amount, currency) -%}
    cast(round({{ precise_major_amount }} * {{ currency_subunit_to_unit(currency) }}, 0) as bigint)
{%- endmacro %}


{#- Precise minor units (cents, DECIMAL) -> precise major units (DECIMAL). -#}
{% macro minor_to_major_units(precise_minor_amount, currency) -%}
    {{ divide_decimal(precise_minor_amount, currency_subunit_to_unit(currency)) }}
{%- endmacro %}
