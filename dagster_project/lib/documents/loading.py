"""Reads what invoice documents show from the warehouse into plain dicts.

One set-based query per table, never one per invoice: every invoice, fee, tax
line, credit, customer and subscription name is read once, then grouped in
Python by invoice. Columns of CONTRACT §3 are required (a missing one is an
error naming table and column); columns the marts add beyond the contract
(`invoice_display_name`, `tax_name`, ...) and the raw catalog tables are used
when present and read as null otherwise, so documents keep working while the
marts grow.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb


class DocumentDataError(ValueError):
    """The warehouse lacks a table or column documents need."""


@dataclass(frozen=True)
class Source:
    table: str  # schema-qualified
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    # A catalog table that may be absent (a warehouse built by another tool).
    may_be_missing: bool = False


INVOICES = Source(
    "billing.invoices",
    (
        "invoice_id",
        "number",
        "external_customer_id",
        "invoice_type",
        "status",
        "payment_status",
        "currency",
        "issuing_date",
        "payment_due_date",
        "fees_amount_cents",
        "coupons_amount_cents",
        "sub_total_excluding_taxes_amount_cents",
        "taxes_amount_cents",
        "sub_total_including_taxes_amount_cents",
        "credit_notes_amount_cents",
        "prepaid_credit_amount_cents",
        "total_amount_cents",
        "finalized_at",
    ),
)
FEES = Source(
    "billing.fees",
    (
        "fee_id",
        "invoice_id",
        "external_subscription_id",
        "fee_type",
        "code",
        "charge_id",
        "filter_display_name",
        "grouped_by",
        "units",
        "precise_unit_amount",
        "amount_cents",
        "taxes_rate",
        "from_datetime",
        "to_datetime",
    ),
    ("subscription_id", "invoice_display_name", "description", "events_count"),
)
INVOICE_SUBSCRIPTIONS = Source(
    "billing.invoice_subscriptions",
    (
        "invoice_id",
        "external_subscription_id",
        "from_datetime",
        "to_datetime",
        "charges_from_datetime",
        "charges_to_datetime",
    ),
    ("subscription_id", "plan_code", "has_subscription_fee"),
)
APPLIED_TAXES = Source(
    "billing.applied_taxes",
    ("invoice_id", "tax_code", "tax_rate", "taxable_base_amount_cents", "amount_cents"),
    ("tax_name",),
)
CREDITS = Source("billing.credits", ("invoice_id", "credit_type", "code", "amount_cents"))
ORGANIZATION = Source(
    "raw.organization",
    ("name",),
    (
        "tax_identification_number",
        "email",
        "address_line1",
        "address_line2",
        "city",
        "zipcode",
        "state",
        "country",
        "logo_url",
        "document_locale",
        "invoice_footer",
        "timezone",
    ),
    may_be_missing=True,
)
CUSTOMERS = Source(
    "raw.customers",
    ("external_id",),
    (
        "name",
        "email",
        "tax_identification_number",
        "address_line1",
        "address_line2",
        "city",
        "zipcode",
        "state",
        "country",
        "document_locale",
        "timezone",
        "metadata",
    ),
    may_be_missing=True,
)
SUBSCRIPTIONS = Source(
    "raw.subscriptions", ("external_id",), ("name", "plan_code", "created_at"), may_be_missing=True
)
PLANS = Source("raw.plans", ("code",), ("name", "invoice_display_name"), may_be_missing=True)
COUPONS = Source("raw.coupons", ("code",), ("name",), may_be_missing=True)
TAXES = Source("raw.taxes", ("code",), ("name",), may_be_missing=True)
# Credit notes are rendered once the marts have them (Lago's credit note shape).
CREDIT_NOTES = Source(
    "billing.credit_notes",
    (
        "credit_note_id",
        "number",
        "invoice_id",
        "issuing_date",
        "currency",
        "sub_total_excluding_taxes_amount_cents",
        "taxes_amount_cents",
        "total_amount_cents",
    ),
    ("status", "reason", "credit_amount_cents", "refund_amount_cents", "external_customer_id"),
    may_be_missing=True,
)
CREDIT_NOTE_ITEMS = Source(
    "billing.credit_note_items", ("credit_note_id", "fee_id", "amount_cents"), may_be_missing=True
)


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "select table_schema || '.' || table_name, column_name from information_schema.columns"
    ).fetchall()
    found: dict[str, set[str]] = defaultdict(set)
    for table, column in rows:
        found[table].add(column)
    return found


def _read(
    con: duckdb.DuckDBPyConnection, columns: dict[str, set[str]], source: Source
) -> list[dict]:
    """Every row of one table as dicts with the source's columns (absent optional ones null)."""
    present = columns.get(source.table)
    if present is None:
        if source.may_be_missing:
            return []
        raise DocumentDataError(
            f"{source.table} does not exist: invoice documents read it (CONTRACT §3)"
        )
    missing = [column for column in source.required if column not in present]
    if missing:
        raise DocumentDataError(f"{source.table} has no column {', '.join(missing)} (CONTRACT §3)")
    # Identifiers come from the fixed lists above, never from data.
    selected = [
        f'"{column}"' if column in present else f'null as "{column}"'
        for column in source.required + source.optional
    ]
    cursor = con.execute(f"select {', '.join(selected)} from {source.table}")
    names = [description[0] for description in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _grouped(rows: Iterable[dict], key: str) -> dict[Any, list[dict]]:
    groups: dict[Any, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return groups


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _group_values(grouped_by: Any) -> list[str]:
    """`{"region": "eu", "cloud": "aws"}` -> `["eu", "aws"]` (Lago prints the values)."""
    parsed = _json(grouped_by)
    if not isinstance(parsed, dict):
        return []
    return [str(value) for value in parsed.values() if value is not None and str(value) != ""]


def _displayed_metadata(metadata: Any) -> list[dict]:
    """Customer metadata flagged `display_in_invoice`, as Lago prints it."""
    parsed = _json(metadata)
    if not isinstance(parsed, list):
        return []
    return [
        {"key": str(item.get("key", "")), "value": str(item.get("value", ""))}
        for item in parsed
        if isinstance(item, dict) and item.get("display_in_invoice")
    ]


def _latest_versions(rows: list[dict]) -> dict[str, dict]:
    """Each subscription's latest version (rows are its history), keeping the last name given."""
    latest: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: (r["created_at"] is not None, r["created_at"] or 0)):
        name = row["name"] or latest.get(row["external_id"], {}).get("name")
        latest[row["external_id"]] = {**row, "name": name}
    return latest


def _fee_line(fee: dict) -> dict:
    name = fee["invoice_display_name"] or fee["code"] or fee["fee_type"]
    return {
        "fee_id": fee["fee_id"],
        "fee_type": fee["fee_type"],
        "name": name,
        "description": fee["description"],
        "filter": fee["filter_display_name"],
        "groups": _group_values(fee["grouped_by"]),
        "units": fee["units"],
        "unit_price": fee["precise_unit_amount"],
        "amount_cents": int(fee["amount_cents"] or 0),
        "taxes_rate": fee["taxes_rate"],
        "from_datetime": fee["from_datetime"],
        "to_datetime": fee["to_datetime"],
    }


_FEE_ORDER = {"subscription": 0, "commitment": 1, "charge": 2, "add_on": 3, "credit": 4}


def _fee_sort_key(line: dict) -> tuple:
    return (
        _FEE_ORDER.get(line["fee_type"], 9),
        line["name"] or "",
        line["filter"] or "",
        line["groups"],
        line["fee_id"],
    )


def _sections(
    subscriptions: list[dict], fees: list[dict], versions: dict[str, dict], plans: dict[str, dict]
) -> tuple[list[dict], list[dict]]:
    """One section per subscription billed (its periods and fee lines); fees of no subscription apart."""
    by_subscription: dict[Any, list[dict]] = defaultdict(list)
    loose: list[dict] = []
    known = {row["external_subscription_id"] for row in subscriptions}
    for fee in fees:
        line = _fee_line(fee)
        if fee["external_subscription_id"] in known:
            by_subscription[fee["external_subscription_id"]].append(line)
        else:
            loose.append(line)
    sections = []
    seen: set[str] = set()
    ordered = sorted(
        subscriptions,
        key=lambda r: (
            r["external_subscription_id"],
            r["from_datetime"] is not None,
            r["from_datetime"] or 0,
        ),
    )
    for row in ordered:
        external_id = row["external_subscription_id"]
        if external_id in seen:  # a plan change bills two versions: one section per subscription
            section = next(s for s in sections if s["external_subscription_id"] == external_id)
            section["plan_codes"].append(row["plan_code"])
            continue
        seen.add(external_id)
        version = versions.get(external_id, {})
        plan_code = row["plan_code"] or version.get("plan_code")
        plan = plans.get(plan_code, {})
        lines = sorted(by_subscription.get(external_id, []), key=_fee_sort_key)
        sections.append(
            {
                "external_subscription_id": external_id,
                # Lago's Subscription#invoice_name: its name, else the plan's invoice name, else the plan's.
                "name": version.get("name")
                or plan.get("invoice_display_name")
                or plan.get("name")
                or plan_code
                or external_id,
                "plan_codes": [plan_code],
                "has_subscription_fee": row["has_subscription_fee"]
                if row["has_subscription_fee"] is not None
                else any(line["fee_type"] == "subscription" for line in lines),
                "from_datetime": row["from_datetime"],
                "to_datetime": row["to_datetime"],
                "charges_from_datetime": row["charges_from_datetime"],
                "charges_to_datetime": row["charges_to_datetime"],
                "fees": lines,
                "amount_cents": sum(line["amount_cents"] for line in lines),
            }
        )
    return sections, sorted(loose, key=_fee_sort_key)


def _party(row: dict | None, keys: tuple[str, ...]) -> dict:
    row = row or {}
    return {key: row.get(key) for key in keys}


_ADDRESS = ("address_line1", "address_line2", "city", "zipcode", "state", "country")


def load_invoice_documents(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every invoice of `billing.invoices` with everything its document shows, as plain dicts."""
    columns = _columns(con)
    invoices = _read(con, columns, INVOICES)
    fees = _grouped(_read(con, columns, FEES), "invoice_id")
    invoice_subscriptions = _grouped(_read(con, columns, INVOICE_SUBSCRIPTIONS), "invoice_id")
    applied_taxes = _grouped(_read(con, columns, APPLIED_TAXES), "invoice_id")
    credits = _grouped(_read(con, columns, CREDITS), "invoice_id")
    organization_rows = _read(con, columns, ORGANIZATION)
    customers = {row["external_id"]: row for row in _read(con, columns, CUSTOMERS)}
    versions = _latest_versions(_read(con, columns, SUBSCRIPTIONS))
    plans = {row["code"]: row for row in _read(con, columns, PLANS)}
    coupon_names = {row["code"]: row["name"] for row in _read(con, columns, COUPONS) if row["name"]}
    tax_names = {row["code"]: row["name"] for row in _read(con, columns, TAXES) if row["name"]}

    organization = _party(
        organization_rows[0] if organization_rows else None,
        (
            "name",
            "tax_identification_number",
            "email",
            *_ADDRESS,
            "logo_url",
            "document_locale",
            "invoice_footer",
            "timezone",
        ),
    )
    documents = []
    for invoice in invoices:
        invoice_id = invoice["invoice_id"]
        customer_row = customers.get(invoice["external_customer_id"])
        customer = _party(
            customer_row,
            (
                "name",
                "email",
                "tax_identification_number",
                *_ADDRESS,
                "document_locale",
                "timezone",
            ),
        )
        customer["external_id"] = invoice["external_customer_id"]
        customer["metadata"] = _displayed_metadata(
            customer_row.get("metadata") if customer_row else None
        )
        sections, other_fees = _sections(
            invoice_subscriptions.get(invoice_id, []), fees.get(invoice_id, []), versions, plans
        )
        invoice_credits = sorted(
            credits.get(invoice_id, []), key=lambda c: (c["credit_type"], c["code"] or "")
        )
        documents.append(
            {
                "kind": "invoice",
                "document_id": invoice_id,
                **{key: invoice[key] for key in INVOICES.required},
                "organization": organization,
                "customer": customer,
                "sections": sections,
                "other_fees": other_fees,
                "applied_taxes": [
                    {
                        "code": tax["tax_code"],
                        "name": tax["tax_name"]
                        or tax_names.get(tax["tax_code"])
                        or tax["tax_code"],
                        "rate": tax["tax_rate"],
                        "base_amount_cents": int(tax["taxable_base_amount_cents"] or 0),
                        "amount_cents": int(tax["amount_cents"] or 0),
                    }
                    for tax in sorted(
                        applied_taxes.get(invoice_id, []),
                        key=lambda t: (-(t["tax_rate"] or 0), t["tax_code"]),
                    )
                ],
                "coupons": [
                    {
                        "code": c["code"],
                        "name": coupon_names.get(c["code"]) or c["code"],
                        "amount_cents": int(c["amount_cents"] or 0),
                    }
                    for c in invoice_credits
                    if c["credit_type"] == "coupon"
                ],
                "credit_notes": [
                    {"code": c["code"], "amount_cents": int(c["amount_cents"] or 0)}
                    for c in invoice_credits
                    if c["credit_type"] == "credit_note"
                ],
            }
        )
    return documents


def load_credit_note_documents(con: duckdb.DuckDBPyConnection, invoices: list[dict]) -> list[dict]:
    """Credit notes (`billing.credit_notes`, when the marts have it), each with its invoice's parties."""
    columns = _columns(con)
    notes = _read(con, columns, CREDIT_NOTES)
    if not notes:
        return []
    items = _grouped(_read(con, columns, CREDIT_NOTE_ITEMS), "credit_note_id")
    by_invoice = {invoice["invoice_id"]: invoice for invoice in invoices}
    documents = []
    for note in notes:
        invoice = by_invoice.get(note["invoice_id"])
        if invoice is None:
            continue
        fee_lines = {
            line["fee_id"]: line for section in invoice["sections"] for line in section["fees"]
        } | {line["fee_id"]: line for line in invoice["other_fees"]}
        documents.append(
            {
                "kind": "credit_note",
                "document_id": note["credit_note_id"],
                **{key: note[key] for key in CREDIT_NOTES.required + CREDIT_NOTES.optional},
                "external_customer_id": invoice["external_customer_id"],
                "invoice_number": invoice["number"],
                "organization": invoice["organization"],
                "customer": invoice["customer"],
                "items": sorted(
                    (
                        {
                            "name": fee_lines.get(item["fee_id"], {}).get("name") or item["fee_id"],
                            "filter": fee_lines.get(item["fee_id"], {}).get("filter"),
                            "groups": fee_lines.get(item["fee_id"], {}).get("groups", []),
                            "amount_cents": int(item["amount_cents"] or 0),
                        }
                        for item in items.get(note["credit_note_id"], [])
                    ),
                    key=lambda item: (item["name"], item["amount_cents"]),
                ),
            }
        )
    return documents
