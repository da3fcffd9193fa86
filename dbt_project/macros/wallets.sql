{#- The re-credits voided invoices owe their wallets, carried by the wallet
    walk of int_wallet_credits_consumed until they are due: one element per
    (wallet, voided invoice) with the wallet's order among the customer's
    wallets, when it is due (voided_at) and the amount in minor units. -#}
{% macro recredit_list_type() -%}
    struct(wallet_order bigint, recredit_at timestamp, amount_cents bigint)[]
{%- endmacro %}
