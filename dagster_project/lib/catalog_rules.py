"""Rules across catalog objects: identities, references, filters, plan changes, currencies.

They run after every file is read, so a mistake in one file that concerns another is still
reported with both names, and every broken rule is reported in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dagster_project.lib.catalog_nodes import Node, Sink
from dagster_project.lib.catalog_plans import (
    ALL_FILTER_VALUES,
    charge_properties,
    parse_charge_filters,
)
from dagster_project.lib.catalog_records import IDENTITY, NOUN, Parsed, Record
from dagster_project.lib.catalog_values import json_text, suggest

Identities = dict[str, dict[tuple, Record]]


def check_rules(parsed: Parsed, sink: Sink) -> None:
    """Record an issue for every broken cross-object rule; fill currencies Lago infers."""
    identities = _unique_identities(parsed)
    for ref in sink.refs:
        _check_ref(ref.node, ref.field, ref.target, ref.key, ref.message, identities)
    _derive_overridden_charges(parsed)
    _check_charges(parsed, identities)
    _check_plan_changes(parsed)
    _resolve_currencies(parsed, identities)


def _unique_identities(parsed: Parsed) -> Identities:
    """Each kind's objects by identity; a second object with the same identity is an error."""
    identities: Identities = {}
    for kind in (*IDENTITY, "charges"):
        seen: dict[tuple, Record] = {}
        for record in parsed.records[kind]:
            if record.key is None:
                continue
            if kind == "charges" and not record.extra["explicit_id"]:
                seen.setdefault(
                    record.key, record
                )  # "<plan>:<n>" repeats only with a duplicate plan
                continue
            first = seen.get(record.key)
            if first is None:
                seen[record.key] = record
                continue
            field = "id" if kind == "charges" else IDENTITY[kind][0]
            named = f"'{record.key[0]}'" if len(record.key) == 1 else f"({record.node.identity})"
            record.node.error(
                field, f"duplicate {NOUN[kind]} {named}: also defined as {first.node.describe()}"
            )
        identities[kind] = seen
    return identities


def _check_ref(
    node: Node, field: str, target: str, key: tuple, message: str, identities: Identities
) -> None:
    if key in identities[target]:
        return
    if len(key) == 1 and len(identities[target]) <= 1000:  # difflib is slow on long lists
        close = suggest(str(key[0]), [str(known[0]) for known in identities[target]])
        if close:
            message += f"; did you mean '{close}'?"
    node.error(field, message)


def _derive_overridden_charges(parsed: Parsed) -> None:
    """A subscription's `plan_overrides.charges` become charges of their own, as Lago's
    Plans::OverrideService makes a child plan: a copy of the plan's charge with the given
    properties, minimum, invoice name, filters (the plan charge's filters when not given) and
    taxes (the plan charge's when not given), tied to that subscription version. The plan's
    other charges stay shared."""
    plan_charges: dict[str, dict[str, Record]] = {}
    for charge in parsed.records["charges"]:
        plan_charges.setdefault(charge.row["plan_code"], {})[charge.row["charge_id"]] = charge
    filters_of: dict[str, list[Record]] = {}
    for charge_filter in parsed.records["charge_filters"]:
        filters_of.setdefault(charge_filter.row["charge_id"], []).append(charge_filter)
    known_plans = {plan.row["code"] for plan in parsed.records["plans"]}
    taxes_of: dict[str, list[str]] = {}
    for assignment in parsed.records["tax_assignments"]:
        if assignment.row["owner_type"] == "charge":
            taxes_of.setdefault(assignment.row["owner_id"], []).append(assignment.row["tax_code"])
    for subscription in parsed.records["subscriptions"]:
        overrides = subscription.extra.get("charge_overrides") or []
        row = subscription.row
        charges = plan_charges.get(row["plan_code"], {})
        for override in overrides:
            node: Node = override["node"]
            parent = charges.get(override["id"])
            if parent is None:
                if row["plan_code"] in known_plans:  # an unknown plan is reported already
                    hint = suggest(override["id"], charges)
                    node.error(
                        "id",
                        f"plan '{row['plan_code']}' has no charge '{override['id']}'"
                        + (f"; did you mean '{hint}'?" if hint else ""),
                    )
                continue
            _derive_charge(parsed, subscription, override, parent, filters_of, taxes_of)


def _derive_charge(
    parsed: Parsed,
    subscription: Record,
    override: dict[str, Any],
    parent: Record,
    filters_of: dict[str, list[Record]],
    taxes_of: dict[str, list[str]],
) -> None:
    node: Node = override["node"]
    external_id, created_at = subscription.row["external_id"], subscription.row["created_at"]
    if external_id is None or created_at is None:
        return
    model = parent.row["charge_model"]
    given_model = node.data.get("charge_model")
    if given_model is not None and given_model != model:
        node.error(
            "charge_model",
            f"plan_overrides cannot change a charge's model: charge '{override['id']}' is "
            f"{model} (Lago keeps the plan charge's model)",
        )
    charge_id = f"{override['id']}@{external_id}@{created_at.isoformat()}"
    values = {name: value for name, value in parent.row.items() if name != "source_file"}
    values.update(
        charge_id=charge_id,
        parent_charge_id=override["id"],
        subscription_external_id=external_id,
        subscription_created_at=created_at,
    )
    if node.present("properties"):
        values["properties"] = json_text(charge_properties(node, "properties", model))
    for name in ("min_amount_cents", "invoice_display_name"):
        if node.present(name):
            values[name] = override[name]
    if node.present("filters"):
        filters = parse_charge_filters(node, parsed, charge_id, model)
    else:
        filters = []  # the plan charge's, checked with it
        for charge_filter in filters_of.get(override["id"], []):
            copied = {k: v for k, v in charge_filter.row.items() if k != "source_file"}
            parsed.add("charge_filters", charge_filter.node, {**copied, "charge_id": charge_id})
    codes = override["tax_codes"]
    for code in taxes_of.get(override["id"], []) if codes is None else codes:
        parsed.add(
            "tax_assignments",
            node,
            {"owner_type": "charge", "owner_id": charge_id, "tax_code": code},
        )
    parsed.add(
        "charges",
        node,
        values,
        key=(charge_id,),
        explicit_id=True,
        metric_field=parent.extra["metric_field"],
        lago_billable_metric_id=parent.extra["lago_billable_metric_id"],
        filters=filters,
    )


def _check_charges(parsed: Parsed, identities: Identities) -> None:
    """Each charge's metric exists, and its filters use that metric's filter keys and values."""
    by_lago_id = {
        record.extra["lago_id"]: record.key[0]
        for record in parsed.records["billable_metrics"]
        if record.key and record.extra.get("lago_id")
    }
    for charge in parsed.records["charges"]:
        node, row = charge.node, charge.row
        lago_id = charge.extra["lago_billable_metric_id"]
        if row["billable_metric_code"] is None and lago_id is not None:
            row["billable_metric_code"] = by_lago_id.get(lago_id)
            if row["billable_metric_code"] is None:
                node.error(
                    "lago_billable_metric_id",
                    f"no billable metric has lago_id '{lago_id}' "
                    "(give billable_metric_code instead)",
                )
                continue
        metric_code = row["billable_metric_code"]
        if metric_code is None:
            continue
        field = charge.extra["metric_field"]
        metric = identities["billable_metrics"].get((metric_code,))
        if metric is None:
            _check_ref(
                node,
                field,
                "billable_metrics",
                (metric_code,),
                f"unknown billable metric '{metric_code}'",
                identities,
            )
            continue
        declared: dict[str, frozenset[str]] = metric.extra["filters"]
        for filter_node, values in charge.extra["filters"]:
            for key, listed in values.items():
                if key not in declared:
                    known = (
                        f"its keys: {', '.join(sorted(declared))}"
                        if declared
                        else "it declares no filters"
                    )
                    hint = suggest(key, declared)
                    filter_node.error(
                        f"values.{key}",
                        f"billable metric '{metric_code}' has no filter key "
                        f"'{key}' ({known})" + (f"; did you mean '{hint}'?" if hint else ""),
                    )
                    continue
                for value in listed:
                    if value != ALL_FILTER_VALUES and value not in declared[key]:
                        filter_node.error(
                            f"values.{key}",
                            f"'{value}' is not a value of filter '{key}' of billable metric "
                            f"'{metric_code}' (allowed: {', '.join(sorted(declared[key]))}, "
                            f"or {ALL_FILTER_VALUES})",
                        )


def _check_plan_changes(parsed: Parsed) -> None:
    """Rows sharing a subscription external_id are its history: they stay with one customer."""
    owners: dict[str, Record] = {}
    for record in parsed.records["subscriptions"]:
        external_id, customer = record.row["external_id"], record.row["external_customer_id"]
        if external_id is None or customer is None:
            continue
        first = owners.setdefault(external_id, record)
        if first.row["external_customer_id"] != customer:
            record.node.error(
                "external_customer_id",
                f"subscription '{external_id}' belongs to customer '{first.row['external_customer_id']}' "
                f"({first.node.describe()}); a plan change cannot move it to customer '{customer}'",
            )


@dataclass(frozen=True)
class _Claim:
    """An object that bills a customer in a currency (Lago: one currency per customer)."""

    when: datetime
    rank: int
    order: int
    currency: str
    node: Node
    field: str
    what: str


def _resolve_currencies(parsed: Parsed, identities: Identities) -> None:
    """A customer bills in one currency: its own, else (as Lago does) the one of its first
    subscription (or first wallet, coupon or one-off invoice). Everything else must match.
    Wallets and one-off invoices without a currency take the customer's."""
    customers = identities["customers"]
    claims: dict[str, list[_Claim]] = {code: [] for (code,) in customers}

    def claim(
        record: Record,
        customer: Any,
        currency: str | None,
        when: Any,
        rank: int,
        field: str,
        what: str,
    ) -> None:
        if currency is None or customer not in claims:
            return
        if isinstance(when, date) and not isinstance(when, datetime):
            when = datetime(when.year, when.month, when.day)
        order = len(claims[customer])
        claims[customer].append(
            _Claim(when or datetime.max, rank, order, currency, record.node, field, what)
        )

    for record in parsed.records["subscriptions"]:
        row = record.row
        plan = identities["plans"].get((row["plan_code"],))
        override = record.extra["currency_override"]
        currency = override or (plan.row["amount_currency"] if plan else None)
        field = "plan_overrides.amount_currency" if override else "plan_code"
        claim(
            record,
            row["external_customer_id"],
            currency,
            row["created_at"],
            1,
            field,
            f"plan '{row['plan_code']}' is billed in {currency}",
        )
    for record in parsed.records["wallets"]:
        row = record.row
        claim(
            record,
            row["external_customer_id"],
            row["currency"],
            row["created_at"],
            2,
            "currency",
            f"wallet '{row['code']}' is in {row['currency']}",
        )
    for record in parsed.records["applied_coupons"]:
        row = record.row
        coupon = identities["coupons"].get((row["coupon_code"],))
        if coupon is None or coupon.row["coupon_type"] != "fixed_amount":
            continue  # a percentage discount has no currency
        currency = row["amount_currency"] or coupon.row["amount_currency"]
        field = "amount_currency" if row["amount_currency"] else "coupon_code"
        claim(
            record,
            row["external_customer_id"],
            currency,
            row["created_at"],
            3,
            field,
            f"coupon '{row['coupon_code']}' is an amount in {currency}",
        )
    for record in parsed.records["one_off_invoices"]:
        row = record.row
        claim(
            record,
            row["external_customer_id"],
            row["currency"],
            row["issuing_date"],
            4,
            "currency",
            f"one-off invoice '{row['external_id']}' is in {row['currency']}",
        )

    resolved: dict[str, str] = {}
    for (code,), customer in customers.items():
        own = customer.row["currency"]
        ordered = sorted(claims[code], key=lambda c: (c.when, c.rank, c.order))
        if own is not None:
            currency, source = own, f"its currency, {customer.node.describe('currency')}"
        elif ordered:
            first = ordered[0]
            currency, source = first.currency, f"set by {first.node.describe(first.field)}"
            customer.row["currency"] = currency
        else:
            continue
        resolved[code] = currency
        for item in ordered:
            if item.currency != currency:
                item.node.error(
                    item.field, f"{item.what} but customer '{code}' bills in {currency} ({source})"
                )

    for table in ("wallets", "one_off_invoices"):
        for record in parsed.records[table]:
            row = record.row
            if row["currency"] is not None or (row["external_customer_id"],) not in customers:
                continue
            row["currency"] = resolved.get(row["external_customer_id"])
            if row["currency"] is None and "currency" not in record.node.data:
                record.node.error(
                    "currency", "required field is missing (the customer has no currency yet)"
                )
