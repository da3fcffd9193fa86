"""What reading a catalog produces before the cross-object rules run: one record per row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dagster_project.lib.catalog_nodes import Node
from dagster_project.lib.raw_schema import CATALOG_TABLES, column_names

# The identity of each kind (CONTRACT §1.1), and how a message names one object of it.
IDENTITY: dict[str, tuple[str, ...]] = {
    "taxes": ("code",),
    "billable_metrics": ("code",),
    "plans": ("code",),
    "add_ons": ("code",),
    "coupons": ("code",),
    "customers": ("external_id",),
    "subscriptions": ("external_id", "created_at"),
    "applied_coupons": ("external_customer_id", "coupon_code", "created_at"),
    "wallets": ("external_customer_id", "code"),
    "wallet_transactions": ("transaction_id",),
    "one_off_invoices": ("external_id",),
    "credit_notes": ("external_id",),
    "payment_status_updates": ("invoice_number", "updated_at"),
    "invoice_voids": ("invoice_number",),
}
NOUN: dict[str, str] = {
    "taxes": "tax",
    "billable_metrics": "billable metric",
    "plans": "plan",
    "add_ons": "add-on",
    "coupons": "coupon",
    "customers": "customer",
    "subscriptions": "subscription",
    "applied_coupons": "applied coupon",
    "wallets": "wallet",
    "wallet_transactions": "wallet transaction",
    "one_off_invoices": "one-off invoice",
    "credit_notes": "credit note",
    "payment_status_updates": "payment status update",
    "invoice_voids": "invoice void",
    "charges": "charge",
}


@dataclass
class Record:
    """One row of a raw table, with the catalog object it came from.
    `key` is the identity (None when incomplete); `extra` holds what the rules need."""

    node: Node
    row: dict[str, Any]
    key: tuple | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Parsed:
    """Records per raw catalog table, in file order."""

    def __init__(self) -> None:
        self.records: dict[str, list[Record]] = {table: [] for table in CATALOG_TABLES}

    def add(
        self, table: str, node: Node, values: dict[str, Any], key: tuple | None = None, **extra: Any
    ) -> Record:
        columns = column_names(table)
        unknown = set(values) - set(columns)
        if unknown:
            raise KeyError(f"raw.{table} has no column(s) {sorted(unknown)}")
        row = {name: values.get(name) for name in columns}
        row["source_file"] = node.file
        if key is not None and any(part is None for part in key):
            key = None
        record = Record(node, row, key, dict(extra))
        self.records[table].append(record)
        return record
