"""Reading the catalog kinds that configure prices (organization, taxes, billable metrics,
add-ons, coupons) into raw rows, field by field; plans are in catalog_plans, customers and
what belongs to them in catalog_customers.

Field names are Lago's (CONTRACT §1.1). `LAGO_READ_ONLY` lists what Lago's API returns
but a catalog does not use (ids, counters, timestamps): those pass without a warning so a
Lago export loads quietly; any other unknown key is reported as a warning.
"""

from __future__ import annotations

from dagster_project.lib.catalog_nodes import Node, tax_codes
from dagster_project.lib.catalog_records import Parsed
from dagster_project.lib.catalog_values import (
    as_bool,
    as_cents,
    as_currency,
    as_decimal,
    as_int,
    as_non_negative_decimal,
    as_non_negative_int,
    as_str,
    as_str_list,
    as_timestamp,
    as_timezone,
    enum,
    json_text,
)

LAGO_READ_ONLY = frozenset(
    {"lago_id", "created_at", "updated_at", "description", "organization_id"}
)

AGGREGATION_TYPES = (
    "count_agg",
    "sum_agg",
    "max_agg",
    "unique_count_agg",
    "weighted_sum_agg",
    "latest_agg",
)
NEEDS_FIELD_NAME = frozenset(AGGREGATION_TYPES) - {"count_agg"}
RECURRING_ALLOWED = ("sum_agg", "unique_count_agg", "weighted_sum_agg")
WALLET_FEE_TYPES = ("subscription", "charge", "commitment", "add_on", "credit")

as_document_numbering = enum("per_customer", "per_organization")
# Ours, not Lago's: one invoice per event of a pay-in-advance charge (Lago), or one per
# subscription and local day for all its pay-in-advance fees of that day.
as_in_advance_charges_invoicing = enum("per_event", "daily")
as_rounding_function = enum("round", "ceil", "floor")
as_weighted_interval = enum("seconds")
as_coupon_type = enum("fixed_amount", "percentage")
as_frequency = enum("once", "recurring", "forever")
as_expiration = enum("no_expiration", "time_limit")
as_payment_provider = enum("stripe", "gocardless", "adyen")
as_credit_note = enum("credit", "refund", "skip")
as_payment_status = enum("pending", "succeeded", "failed")
as_rule_trigger = enum("interval", "threshold")
as_rule_interval = enum("weekly", "monthly", "quarterly", "yearly")
as_rule_method = enum("fixed", "target")
as_billing_time = enum("calendar", "anniversary")
as_credit_note_reason = enum(
    "duplicated_charge",
    "product_unsatisfactory",
    "order_change",
    "order_cancellation",
    "fraudulent_charge",
    "other",
)

ADDRESS = ("address_line1", "address_line2", "city", "zipcode", "state", "country")


def configured(node: Node, config: Node | None, name: str, coerce):
    """A `billing_configuration` field, also accepted at the top level of the object."""
    if config is not None and config.present(name):
        return config.get(name, coerce)
    return node.get(name, coerce)


def parse_organization(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        (
            "name",
            "default_currency",
            "timezone",
            "net_payment_term",
            "document_numbering",
            "document_number_prefix",
            "tax_identification_number",
            "email",
            *ADDRESS,
            "logo_url",
            "billing_configuration",
            "invoice_grace_period",
            "document_locale",
            "invoice_footer",
            "in_advance_charges_invoicing",
        ),
        LAGO_READ_ONLY
        | {
            "legal_name",
            "legal_number",
            "webhook_url",
            "webhook_urls",
            "taxes",
            "finalize_zero_amount_invoice",
            "email_settings",
        },
    )
    config = node.child("billing_configuration")
    if config is not None:
        config.check_keys(
            (
                "invoice_grace_period",
                "document_locale",
                "invoice_footer",
                "in_advance_charges_invoicing",
            ),
            {"vat_rate"},
        )
    values = {
        name: node.get(name, as_str)
        for name in (
            *ADDRESS,
            "name",
            "document_number_prefix",
            "tax_identification_number",
            "email",
            "logo_url",
        )
    }
    values |= {
        "default_currency": node.get("default_currency", as_currency) or "USD",
        "timezone": node.get("timezone", as_timezone) or "UTC",
        "net_payment_term": node.get("net_payment_term", as_non_negative_int) or 0,
        "document_numbering": node.get("document_numbering", as_document_numbering)
        or "per_customer",
        "invoice_grace_period": configured(
            node, config, "invoice_grace_period", as_non_negative_int
        )
        or 0,
        "document_locale": configured(node, config, "document_locale", as_str),
        "invoice_footer": configured(node, config, "invoice_footer", as_str),
        "in_advance_charges_invoicing": configured(
            node, config, "in_advance_charges_invoicing", as_in_advance_charges_invoicing
        )
        or "per_event",
    }
    parsed.add("organization", node, values)


def parse_tax(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        ("code", "name", "rate", "applied_to_organization"),
        LAGO_READ_ONLY | {"add_ons_count", "customers_count", "plans_count", "charges_count"},
    )
    code = node.get("code", as_str, required=True)
    values = {
        "code": code,
        "name": node.get("name", as_str),
        "rate": node.get("rate", as_decimal, required=True),
        "applied_to_organization": node.get("applied_to_organization", as_bool),
    }
    parsed.add("taxes", node, values, key=(code,))


def parse_billable_metric(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        (
            "code",
            "name",
            "aggregation_type",
            "field_name",
            "recurring",
            "weighted_interval",
            "rounding_function",
            "rounding_precision",
            "filters",
        ),
        LAGO_READ_ONLY | {"active_subscriptions_count", "draft_invoices_count", "plans_count"},
    )
    code = node.get("code", as_str, required=True)
    aggregation = node.get("aggregation_type", enum(*AGGREGATION_TYPES), required=True)
    field_name = node.get("field_name", as_str)
    if aggregation in NEEDS_FIELD_NAME and field_name is None and not node.has_issue("field_name"):
        node.error(
            "field_name", f"required for a {aggregation} metric (the event property it reads)"
        )
    if aggregation == "count_agg":
        field_name = None  # Lago clears it: a count reads no property
    recurring = node.get("recurring", as_bool)
    if recurring and aggregation and aggregation not in RECURRING_ALLOWED:
        node.error(
            "recurring",
            f"a {aggregation} metric cannot be recurring (only {', '.join(RECURRING_ALLOWED)})",
        )
    values = {
        "code": code,
        "name": node.get("name", as_str),
        "aggregation_type": aggregation,
        "field_name": field_name,
        "recurring": recurring,
        "weighted_interval": node.get("weighted_interval", as_weighted_interval),
        "rounding_function": node.get("rounding_function", as_rounding_function),
        "rounding_precision": node.get("rounding_precision", as_int),
    }
    filters: dict[str, frozenset[str]] = {}
    for position, filter_node in node.children("filters"):
        filter_node.check_keys(("key", "values"))
        key = filter_node.get("key", as_str, required=True)
        allowed = filter_node.get("values", as_str_list, required=True)
        if key is None or allowed is None:
            continue
        if key in filters:
            filter_node.error("key", f"filter key '{key}' is declared twice on this metric")
            continue
        if not allowed:
            filter_node.error("values", "a filter needs at least one value")
        filters[key] = frozenset(allowed)
        parsed.add(
            "billable_metric_filters",
            filter_node,
            {"billable_metric_code": code, "key": key, "values": json_text(allowed)},
        )
    parsed.add(
        "billable_metrics",
        node,
        values,
        key=(code,),
        filters=filters,
        lago_id=node.data.get("lago_id"),
    )


def parse_add_on(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        (
            "code",
            "name",
            "invoice_display_name",
            "amount_cents",
            "amount_currency",
            "tax_codes",
            "taxes",
        ),
        LAGO_READ_ONLY,
    )
    code = node.get("code", as_str, required=True)
    values = {
        "code": code,
        "name": node.get("name", as_str),
        "invoice_display_name": node.get("invoice_display_name", as_str),
        "amount_cents": node.get("amount_cents", as_cents, required=True),
        "amount_currency": node.get("amount_currency", as_currency, required=True),
    }
    parsed.add("add_ons", node, values, key=(code,))
    add_tax_assignments(node, parsed, "add_on", code)


def parse_coupon(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        (
            "code",
            "name",
            "coupon_type",
            "amount_cents",
            "amount_currency",
            "percentage_rate",
            "frequency",
            "frequency_duration",
            "expiration",
            "expiration_at",
            "expiration_date",
            "reusable",
            "applies_to",
            "plan_codes",
            "billable_metric_codes",
        ),
        LAGO_READ_ONLY | {"limited_plans", "limited_billable_metrics", "terminated_at"},
    )
    code = node.get("code", as_str, required=True)
    coupon_type = node.get("coupon_type", as_coupon_type, required=True)
    values = {
        "code": code,
        "name": node.get("name", as_str),
        "coupon_type": coupon_type,
        "amount_cents": node.get("amount_cents", as_cents),
        "amount_currency": node.get("amount_currency", as_currency),
        "percentage_rate": node.get("percentage_rate", as_non_negative_decimal),
        "frequency": node.get("frequency", as_frequency),
        "frequency_duration": node.get("frequency_duration", as_non_negative_int),
        "expiration": node.get("expiration", as_expiration),
        "expiration_at": node.get("expiration_at", as_timestamp, aliases=("expiration_date",)),
        "reusable": node.get("reusable", as_bool),
    }
    needed = {
        "fixed_amount": ("amount_cents", "amount_currency"),
        "percentage": ("percentage_rate",),
    }
    for name in needed.get(coupon_type, ()):
        if not node.present(name):
            node.error(name, f"required for a {coupon_type} coupon")
    if values["frequency"] == "recurring" and not node.present("frequency_duration"):
        node.error("frequency_duration", "required for a recurring coupon (the number of invoices)")
    if values["expiration"] == "time_limit" and not (
        node.present("expiration_at") or node.present("expiration_date")
    ):
        node.error("expiration_at", "required when expiration is time_limit")
    parsed.add("coupons", node, values, key=(code,))
    applies_to = node.child("applies_to") or node
    if applies_to is not node:
        applies_to.check_keys(("plan_codes", "billable_metric_codes"))
    for name, target, target_type in (
        ("plan_codes", "plans", "plan"),
        ("billable_metric_codes", "billable_metrics", "billable_metric"),
    ):
        for position, target_code in enumerate(applies_to.get(name, as_str_list) or []):
            applies_to.ref(
                f"{name}[{position}]",
                target,
                (target_code,),
                f"unknown {target_type.replace('_', ' ')} '{target_code}'",
            )
            parsed.add(
                "coupon_targets",
                applies_to,
                {"coupon_code": code, "target_type": target_type, "target_code": target_code},
            )


def add_tax_assignments(node: Node, parsed: Parsed, owner_type: str, owner_id: str | None) -> None:
    """One raw.tax_assignments row per tax code of the object (each code is a reference)."""
    for _, code in tax_codes(node):
        parsed.add(
            "tax_assignments",
            node,
            {"owner_type": owner_type, "owner_id": owner_id, "tax_code": code},
        )
