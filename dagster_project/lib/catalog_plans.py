"""Reading plans: the plan row, its minimum commitment, its charges and their filters.

Charge `properties` are stored verbatim (Lago's, including `pricing_group_keys` /
`grouped_by`); only the fields a charge model reads are checked here, with Lago's rules
for tier ranges (metering-and-pricing.md §5, `validators/range_bounds_validator.rb`).
"""

from __future__ import annotations

from decimal import Decimal

from dagster_project.lib.catalog_kinds import LAGO_READ_ONLY, add_tax_assignments
from dagster_project.lib.catalog_nodes import Node
from dagster_project.lib.catalog_records import Parsed
from dagster_project.lib.catalog_values import (
    BadValue,
    as_bool,
    as_cents,
    as_currency,
    as_decimal,
    as_non_negative_decimal,
    as_str,
    as_str_list,
    enum,
    json_text,
    show,
)

CHARGE_MODELS = (
    "standard",
    "graduated",
    "volume",
    "package",
    "percentage",
    "graduated_percentage",
    "dynamic",
)
as_interval = enum("weekly", "monthly", "quarterly", "semiannual", "yearly")
as_charge_model = enum(*CHARGE_MODELS)

RANGES = {
    "graduated": "graduated_ranges",
    "graduated_percentage": "graduated_percentage_ranges",
    "volume": "volume_ranges",
}
RANGE_AMOUNTS = {
    "graduated_ranges": ("per_unit_amount", "flat_amount"),
    "volume_ranges": ("per_unit_amount", "flat_amount"),
    "graduated_percentage_ranges": ("rate", "flat_amount"),
}
# Numeric properties of the charge models, checked wherever they appear.
NUMERIC_PROPERTIES = (
    "amount",
    "package_size",
    "free_units",
    "rate",
    "fixed_amount",
    "free_units_per_events",
    "free_units_per_total_aggregation",
    "per_transaction_max_amount",
    "per_transaction_min_amount",
)
ALL_FILTER_VALUES = "__ALL_FILTER_VALUES__"


def parse_plan(node: Node, parsed: Parsed) -> None:
    node.check_keys(
        (
            "code",
            "name",
            "invoice_display_name",
            "interval",
            "amount_cents",
            "amount_currency",
            "pay_in_advance",
            "trial_period",
            "bill_charges_monthly",
            "minimum_commitment",
            "tax_codes",
            "taxes",
            "charges",
        ),
        LAGO_READ_ONLY
        | {"customers_count", "active_subscriptions_count", "draft_invoices_count", "parent_id"},
    )
    code = node.get("code", as_str, required=True)
    values = {
        "code": code,
        "name": node.get("name", as_str),
        "invoice_display_name": node.get("invoice_display_name", as_str),
        "interval": node.get("interval", as_interval, required=True),
        "amount_cents": node.get("amount_cents", as_cents, required=True),
        "amount_currency": node.get("amount_currency", as_currency, required=True),
        "pay_in_advance": node.get("pay_in_advance", as_bool),
        "trial_period": node.get("trial_period", as_non_negative_decimal),
        "bill_charges_monthly": node.get("bill_charges_monthly", as_bool),
    }
    commitment = node.child("minimum_commitment")
    if commitment is not None:
        commitment.check_keys(
            ("amount_cents", "invoice_display_name", "tax_codes", "taxes"),
            LAGO_READ_ONLY | {"plan_code", "interval", "commitment_type"},
        )
        values["minimum_commitment_amount_cents"] = commitment.get(
            "amount_cents", as_cents, required=True
        )
        values["minimum_commitment_invoice_display_name"] = commitment.get(
            "invoice_display_name", as_str
        )
        add_tax_assignments(commitment, parsed, "minimum_commitment", code)
    parsed.add("plans", node, values, key=(code,))
    add_tax_assignments(node, parsed, "plan", code)
    for position, charge in node.children("charges"):
        _parse_charge(charge, parsed, code, position)


def _parse_charge(node: Node, parsed: Parsed, plan_code: str | None, position: int) -> None:
    node.check_keys(
        (
            "id",
            "billable_metric_code",
            "billable_metric",
            "lago_billable_metric_id",
            "charge_model",
            "properties",
            "filters",
            "pay_in_advance",
            "invoiceable",
            "prorated",
            "min_amount_cents",
            "tax_codes",
            "taxes",
            "invoice_display_name",
        ),
        LAGO_READ_ONLY | {"code", "lago_parent_id", "group_by_wallet"},
    )
    charge_id = node.get("id", as_str) or f"{plan_code}:{position}"
    metric = node.get("billable_metric_code", as_str)
    metric_field = "billable_metric_code"
    if metric is None and isinstance(node.data.get("billable_metric"), dict):
        metric_node = node.child("billable_metric")
        metric, metric_field = metric_node.get("code", as_str), "billable_metric.code"
    lago_metric_id = node.data.get("lago_billable_metric_id") if metric is None else None
    if metric is None and lago_metric_id is None and not node.present("billable_metric_code"):
        node.error("billable_metric_code", "required field is missing")
    model = node.get("charge_model", as_charge_model, required=True)
    properties = charge_properties(node, "properties", model)
    values = {
        "charge_id": charge_id,
        "plan_code": plan_code,
        "position": position,
        "billable_metric_code": metric,
        "charge_model": model,
        "properties": json_text(properties),
        "pay_in_advance": node.get("pay_in_advance", as_bool),
        "invoiceable": node.get("invoiceable", as_bool),
        "prorated": node.get("prorated", as_bool),
        "min_amount_cents": node.get("min_amount_cents", as_cents),
        "invoice_display_name": node.get("invoice_display_name", as_str),
    }
    filters = parse_charge_filters(node, parsed, charge_id, model)
    parsed.add(
        "charges",
        node,
        values,
        key=(charge_id,),
        explicit_id=node.present("id"),
        metric_field=metric_field,
        lago_billable_metric_id=lago_metric_id,
        filters=filters,
    )
    add_tax_assignments(node, parsed, "charge", charge_id)


def parse_charge_filters(
    node: Node, parsed: Parsed, charge_id: str, model: str | None
) -> list[tuple[Node, dict[str, list[str]]]]:
    """One raw.charge_filters row per `filters` entry of a charge (or of a charge override);
    returns (filter, values) for the rules to check against the metric's filter keys."""
    filters = []
    for filter_position, filter_node in node.children("filters"):
        filter_node.check_keys(
            ("values", "properties", "invoice_display_name"), LAGO_READ_ONLY | {"charge_code"}
        )
        filter_values = _filter_values(filter_node)
        filter_properties = charge_properties(filter_node, "properties", model)
        parsed.add(
            "charge_filters",
            filter_node,
            {
                "charge_id": charge_id,
                "position": filter_position,
                "values": json_text(filter_values),
                "properties": json_text(filter_properties),
                "invoice_display_name": filter_node.get("invoice_display_name", as_str),
            },
        )
        filters.append((filter_node, filter_values))
    return filters


def _filter_values(node: Node) -> dict[str, list[str]]:
    """A charge filter's `values`: {metric filter key: [values]}."""
    raw = node.data.get("values")
    if raw is None:
        node.error("values", "required field is missing")
        return {}
    if not isinstance(raw, dict) or not raw:
        node.error(
            "values", f"expected a mapping of filter key to a list of values, got {show(raw)}"
        )
        return {}
    result = {}
    for key, listed in raw.items():
        try:
            result[str(key)] = as_str_list(listed)
        except BadValue as exc:
            node.error(f"values.{key}", str(exc))
    return result


def charge_properties(node: Node, name: str, model: str | None) -> dict:
    """Charge properties, verbatim; the numbers a charge model reads are checked."""
    raw = node.data.get(name)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        node.error(name, f"expected a mapping, got {show(raw)}")
        return {}
    properties = node.child(name)
    for key in NUMERIC_PROPERTIES:
        properties.get(key, as_decimal)
    for key in ("pricing_group_keys", "grouped_by"):
        properties.get(key, as_str_list)
    ranges_key = RANGES.get(model)
    if ranges_key and raw and raw.get(ranges_key) is None:
        properties.error(ranges_key, f"required for a {model} charge")
    if ranges_key and raw.get(ranges_key) is not None:
        _check_ranges(properties, ranges_key)
    return raw


def _check_ranges(node: Node, key: str) -> None:
    """Lago's range rule: the first range starts at 0, each next one starts at the previous
    `to_value` or `to_value + 1` (no gap, no overlap), every `to_value` is above its
    `from_value`, and only the last range is open-ended (`to_value` null)."""
    ranges = node.data[key]
    if not isinstance(ranges, list) or not ranges:
        node.error(key, f"expected a non-empty list of ranges, got {show(ranges)}")
        return
    previous_to: Decimal | None = None
    previous_ok = False
    last = len(ranges) - 1
    for index, item in enumerate(ranges):
        path = f"{key}[{index}]"
        if not isinstance(item, dict):
            node.error(path, f"expected a range mapping, got {show(item)}")
            previous_ok = False
            continue
        bounds = Node(node.sink, node.file, node.kind, node.identity, node.at(path), item)
        for amount in RANGE_AMOUNTS[key]:
            bounds.get(amount, as_non_negative_decimal, required=True)
        from_value = bounds.get("from_value", as_non_negative_decimal, required=True)
        to_value = bounds.get("to_value", as_non_negative_decimal)
        to_broken = item.get("to_value") is not None and to_value is None
        if from_value is not None:
            if index == 0 and from_value != 0:
                bounds.error("from_value", f"the first range must start at 0, got {from_value}")
            elif index > 0 and previous_ok and from_value not in (previous_to, previous_to + 1):
                problem = "overlaps" if from_value < previous_to else "leaves a gap after"
                bounds.error(
                    "from_value",
                    f"{from_value} {problem} the previous range, which ends at {previous_to}: "
                    f"must be {previous_to} or {previous_to + 1}",
                )
        if index == last and item.get("to_value") is not None:
            bounds.error(
                "to_value",
                f"the last range must be open-ended (to_value null), got {show(item['to_value'])}",
            )
        if index < last and item.get("to_value") is None:
            bounds.error("to_value", "only the last range may be open-ended (to_value null)")
        if to_value is not None and from_value is not None and to_value <= from_value:
            bounds.error(
                "to_value", f"must be greater than from_value ({from_value}), got {to_value}"
            )
        previous_to, previous_ok = to_value, to_value is not None and not to_broken
