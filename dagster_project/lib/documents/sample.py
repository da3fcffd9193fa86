"""A synthetic warehouse of invoices for document tests, the benchmark and the README pictures.

It has the CONTRACT §3 columns of billing.invoices, fees, invoice_subscriptions,
applied_taxes and credits (plus, unless `contract_only`, the optional columns
the marts add: invoice_display_name, tax_name...) and raw.customers,
raw.organization, raw.plans, raw.subscriptions and raw.coupons as
lib/raw_schema.py defines them. Every invoice adds up the
way Lago's do: fees - coupons + taxes - credit notes - prepaid credits. One
customer per shipped locale and currency, drafts, 1-3 charges an invoice with filters and pricing groups,
coupons, several tax rates, credit notes, prepaid credits, and a customer whose
name is markup. Deterministic: the same arguments give the same rows.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from dagster_project.lib.money import exponent
from dagster_project.lib.raw_schema import column_names, create_table_sql

MARKUP_NAME = '<script>alert("owned")</script> & Co'

# (external_id, name, locale, currency, country, city, taxes [(code, name, rate)])
CUSTOMERS = [
    (
        "cust_en",
        "Globex Corporation",
        "en",
        "USD",
        "US",
        "Springfield",
        [("us_sales", "Sales tax", "7.25")],
    ),
    ("cust_fr", "Soylent SAS", "fr", "EUR", "FR", "Paris", [("fr_vat", "TVA", "20")]),
    ("cust_de", "Umbrella GmbH", "de", "EUR", "DE", "Berlin", [("de_vat", "MwSt.", "19")]),
    ("cust_es", "Tyrell Ibérica S.L.", "es", "EUR", "ES", "Madrid", [("es_vat", "IVA", "21")]),
    ("cust_it", "Cyberdyne Italia S.r.l.", "it", "EUR", "IT", "Milano", [("it_vat", "IVA", "22")]),
    ("cust_sv", "Initech Sverige AB", "sv", "SEK", "SE", "Stockholm", [("se_vat", "Moms", "25")]),
    ("cust_nb", "Wayne Norge AS", "nb", "NOK", "NO", "Oslo", [("no_vat", "MVA", "25")]),
    (
        "cust_pt",
        "Massive Dynamic Ltda.",
        "pt-BR",
        "BRL",
        "BR",
        "São Paulo",
        [("br_iss", "ISS", "5"), ("br_pis", "PIS", "0.65")],
    ),
    ("cust_jp", "Hooli Japan K.K.", None, "JPY", "JP", "Tokyo", []),
    ("cust_markup", MARKUP_NAME, "en", "USD", "US", "Austin", []),
]
LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="180" height="40" viewBox="0 0 180 40">'
    '<rect x="0" y="4" width="32" height="32" rx="7" fill="#4f46e5"/>'
    '<path d="M9 27 L16 12 L23 27 Z" fill="#fff"/>'
    '<text x="42" y="28" font-family="DejaVu Sans" font-size="20" font-weight="bold" fill="#111827">Ratebook</text>'
    "</svg>"
)
LOGO_DATA_URI = "data:image/svg+xml;base64," + base64.b64encode(LOGO_SVG.encode()).decode()

BILLING_COLUMNS = {
    "invoices": [
        ("invoice_id", "varchar"),
        ("number", "varchar"),
        ("external_customer_id", "varchar"),
        ("invoice_type", "varchar"),
        ("status", "varchar"),
        ("payment_status", "varchar"),
        ("currency", "varchar"),
        ("issuing_date", "date"),
        ("payment_due_date", "date"),
        ("fees_amount_cents", "bigint"),
        ("coupons_amount_cents", "bigint"),
        ("sub_total_excluding_taxes_amount_cents", "bigint"),
        ("taxes_amount_cents", "bigint"),
        ("sub_total_including_taxes_amount_cents", "bigint"),
        ("credit_notes_amount_cents", "bigint"),
        ("prepaid_credit_amount_cents", "bigint"),
        ("total_amount_cents", "bigint"),
        ("finalized_at", "timestamp"),
    ],
    "invoice_subscriptions": [
        ("invoice_id", "varchar"),
        ("external_subscription_id", "varchar"),
        ("from_datetime", "timestamp"),
        ("to_datetime", "timestamp"),
        ("charges_from_datetime", "timestamp"),
        ("charges_to_datetime", "timestamp"),
    ],
    "fees": [
        ("fee_id", "varchar"),
        ("invoice_id", "varchar"),
        ("external_customer_id", "varchar"),
        ("external_subscription_id", "varchar"),
        ("fee_type", "varchar"),
        ("code", "varchar"),
        ("charge_id", "varchar"),
        ("charge_model", "varchar"),
        ("filter_display_name", "varchar"),
        ("grouped_by", "varchar"),
        ("units", "decimal(38, 12)"),
        ("events_count", "bigint"),
        ("precise_unit_amount", "decimal(38, 12)"),
        ("precise_amount", "decimal(38, 12)"),
        ("amount_cents", "bigint"),
        ("precise_coupons_amount", "decimal(38, 12)"),
        ("taxes_amount_cents", "bigint"),
        ("taxes_rate", "decimal(38, 12)"),
        ("from_datetime", "timestamp"),
        ("to_datetime", "timestamp"),
        ("currency", "varchar"),
    ],
    "applied_taxes": [
        ("invoice_id", "varchar"),
        ("tax_code", "varchar"),
        ("tax_rate", "decimal(38, 12)"),
        ("taxable_base_amount_cents", "bigint"),
        ("amount_cents", "bigint"),
    ],
    "credits": [
        ("invoice_id", "varchar"),
        ("credit_type", "varchar"),
        ("code", "varchar"),
        ("amount_cents", "bigint"),
    ],
}
# Columns the marts add beyond the contract, which documents use when present.
OPTIONAL_COLUMNS = {
    "fees": [("invoice_display_name", "varchar"), ("description", "varchar")],
    "applied_taxes": [("tax_name", "varchar")],
}

# (code, display name, unit price, filter, grouped_by, units choices)
CHARGES = [
    ("api_calls", "API calls", Decimal("0.0018"), None, {}, ["12500", "48210", "1200345"]),
    (
        "storage_gb",
        "Storage (GB-month)",
        Decimal("0.45"),
        "region: eu-west-1",
        {},
        ["91.1", "131.09", "20"],
    ),
    (
        "compute_hours",
        "Compute hours",
        Decimal("0.12"),
        None,
        {"cloud": "aws", "region": "us-east-1"},
        ["310", "742.5"],
    ),
    ("seats", "Active seats", Decimal(12), None, {}, ["3", "8", "15"]),
]
PLANS = [("starter", "Starter", 4900), ("team", "Team", 19900), ("enterprise", "Enterprise", 99000)]


def _id(*parts: object) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _minor(major: Decimal, currency: str) -> int:
    return _round(major.scaleb(exponent(currency)))


def _plan_price(base_cents: int, currency: str) -> int:
    """The same list price in every currency's own minor unit (JPY has none)."""
    scale = {
        "JPY": Decimal("1.5"),
        "SEK": Decimal(10),
        "NOK": Decimal(10),
        "BRL": Decimal(5),
    }.get(currency, Decimal(1))
    return _round(Decimal(base_cents) * scale / Decimal(10) ** (2 - exponent(currency)))


def _month(start: date, months: int) -> date:
    total = start.year * 12 + start.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def _fee(
    invoice: dict,
    position: int,
    fee_type: str,
    code: str,
    name: str,
    units: str,
    unit_price: Decimal,
    **extra: object,
) -> dict:
    """One fee line of `invoice`, its amount rounded once from the precise amount."""
    in_period = fee_type != "add_on"
    return {
        "fee_id": _id("fee", invoice["invoice_id"], position),
        "invoice_id": invoice["invoice_id"],
        "external_customer_id": invoice["external_customer_id"],
        "external_subscription_id": invoice["subscription"] if in_period else None,
        "fee_type": fee_type,
        "code": code,
        "charge_id": f"ch_{code}" if fee_type == "charge" else None,
        "charge_model": "standard" if fee_type == "charge" else None,
        "filter_display_name": extra.get("filter_name"),
        "grouped_by": json.dumps(extra.get("groups") or {}),
        "units": Decimal(units),
        "events_count": int(Decimal(units)) if fee_type == "charge" else None,
        "precise_unit_amount": unit_price,
        "precise_amount": Decimal(units) * unit_price,
        "amount_cents": _minor(Decimal(units) * unit_price, invoice["currency"]),
        "precise_coupons_amount": Decimal(0),
        "taxes_amount_cents": 0,
        "taxes_rate": invoice["taxes_rate"],
        "from_datetime": invoice["period_start"] if in_period else None,
        "to_datetime": invoice["period_end"] if in_period else None,
        "currency": invoice["currency"],
        "invoice_display_name": name,
        "description": extra.get("description"),
    }


def _fees(invoice: dict, index: int) -> list[dict]:
    currency = invoice["currency"]
    major = exponent(currency)
    if invoice["invoice_type"] == "one_off":
        price = Decimal(_plan_price(150000, currency)).scaleb(-major)
        return [
            _fee(
                invoice,
                0,
                "add_on",
                "onboarding",
                "Onboarding package",
                "1",
                price,
                description="Workshop and data migration",
            )
        ]
    plan_code, plan_name, plan_base = PLANS[index % len(PLANS)]
    price = Decimal(_plan_price(plan_base, currency)).scaleb(-major)
    fees = [_fee(invoice, 0, "subscription", plan_code, f"{plan_name} plan", "1", price)]
    for offset in range(3 - index % 3):
        code, name, unit_price, filter_name, groups, choices = CHARGES[
            (index + offset) % len(CHARGES)
        ]
        scaled = unit_price * Decimal(_plan_price(100, currency)).scaleb(-major)
        units = choices[index % len(choices)]
        fees.append(
            _fee(
                invoice,
                len(fees),
                "charge",
                code,
                name,
                units,
                scaled,
                filter_name=filter_name,
                groups=groups,
            )
        )
    return fees


def _invoice_rows(index: int, sequence: dict[str, int], start: date) -> dict[str, list[dict]]:
    """Every row of invoice number `index` (its fees, taxes, credits and totals)."""
    customer_index = index % len(CUSTOMERS)
    external_id, _, _, currency, _, _, taxes = CUSTOMERS[customer_index]
    issuing = _month(start, index // len(CUSTOMERS))
    is_draft, is_one_off = index % 6 == 5, index % 11 == 10
    invoice = {
        "invoice_id": _id("invoice", index),
        "external_customer_id": external_id,
        "invoice_type": "one_off" if is_one_off else "subscription",
        "status": "draft" if is_draft else "finalized",
        "currency": currency,
        "issuing_date": issuing,
        "payment_due_date": issuing + timedelta(days=30),
    }
    context = {
        **invoice,
        "subscription": f"sub_{external_id}_{PLANS[index % len(PLANS)][0]}",
        "taxes_rate": sum((Decimal(rate) for _, _, rate in taxes), Decimal(0)),
        "period_start": datetime.combine(_month(issuing, -1), time.min),
        "period_end": datetime.combine(issuing - timedelta(days=1), time(23, 59, 59)),
    }
    fees = _fees(context, index)
    subscriptions = (
        []
        if is_one_off
        else [
            {
                "invoice_id": invoice["invoice_id"],
                "external_subscription_id": context["subscription"],
                "from_datetime": context["period_start"],
                "to_datetime": context["period_end"],
                "charges_from_datetime": context["period_start"],
                "charges_to_datetime": context["period_end"],
            }
        ]
    )
    fees_amount = sum(fee["amount_cents"] for fee in fees)
    # Lago: coupons, credit notes and wallets only on finalized invoices; coupons not on one-offs.
    coupons = (
        _round(Decimal(fees_amount) / 10)
        if not is_draft and not is_one_off and index % 3 == 0
        else 0
    )
    base = fees_amount - coupons
    applied = [
        {
            "invoice_id": invoice["invoice_id"],
            "tax_code": code,
            "tax_name": name,
            "tax_rate": Decimal(rate),
            "taxable_base_amount_cents": base,
            "amount_cents": _round(Decimal(base) * Decimal(rate) / 100),
        }
        for code, name, rate in taxes
    ]
    including = base + sum(tax["amount_cents"] for tax in applied)
    credit_notes = (
        min(_plan_price(500, currency), including) if not is_draft and index % 7 == 0 else 0
    )
    prepaid = (
        min(_plan_price(2500, currency), including - credit_notes)
        if not is_draft and index % 5 == 0
        else 0
    )
    if not is_draft:
        sequence[external_id] = sequence.get(external_id, 0) + 1
    total = including - credit_notes - prepaid
    invoice.update(
        number="RB-DRAFT"
        if is_draft
        else f"RB-{customer_index + 1:03d}-{sequence[external_id]:03d}",
        payment_status="pending" if total > 0 else "succeeded",
        fees_amount_cents=fees_amount,
        coupons_amount_cents=coupons,
        sub_total_excluding_taxes_amount_cents=base,
        taxes_amount_cents=including - base,
        sub_total_including_taxes_amount_cents=including,
        credit_notes_amount_cents=credit_notes,
        prepaid_credit_amount_cents=prepaid,
        total_amount_cents=total,
        finalized_at=None if is_draft else datetime.combine(issuing, time.min),
    )
    credits = [
        {
            "invoice_id": invoice["invoice_id"],
            "credit_type": kind,
            "code": code,
            "amount_cents": amount,
        }
        for kind, code, amount in (
            ("coupon", "welcome_10", coupons),
            ("credit_note", f"RB-CN-{index:04d}", credit_notes),
        )
        if amount
    ]
    return {
        "invoices": [invoice],
        "invoice_subscriptions": subscriptions,
        "fees": fees,
        "applied_taxes": applied,
        "credits": credits,
    }


def build_rows(invoices: int = 40, start: date = date(2024, 2, 1)) -> dict[str, list[dict]]:
    """The rows of every billing table, as dicts (see the module docstring)."""
    rows: dict[str, list[dict]] = {name: [] for name in BILLING_COLUMNS}
    sequence: dict[str, int] = {}
    for index in range(invoices):
        for table, table_rows in _invoice_rows(index, sequence, start).items():
            rows[table] += table_rows
    return rows


def _raw_rows() -> dict[str, list[dict]]:
    organization = {name: None for name in column_names("organization")}
    organization.update(
        name="Ratebook Cloud Inc.",
        default_currency="USD",
        timezone="UTC",
        net_payment_term=30,
        document_numbering="per_customer",
        document_number_prefix="RB",
        tax_identification_number="US12-3456789",
        email="billing@ratebook.example",
        address_line1="500 Market Street",
        address_line2="Suite 1200",
        city="San Francisco",
        zipcode="94105",
        state="CA",
        country="US",
        logo_url=LOGO_DATA_URI,
        invoice_grace_period=0,
        document_locale="en",
        invoice_footer="Thank you for your business. Questions about this invoice? billing@ratebook.example",
        source_file="catalog/organization.yaml",
    )
    customers = []
    for external_id, name, locale, currency, country, city, _ in CUSTOMERS:
        row = {column: None for column in column_names("customers")}
        row.update(
            external_id=external_id,
            name=name,
            email=f"billing@{external_id.removeprefix('cust_')}.example",
            currency=currency,
            tax_identification_number=f"{country}{int(_id(external_id), 16) % 10**9:09d}"
            if country != "US"
            else None,
            address_line1="1 Example Plaza",
            city=city,
            zipcode="10001",
            country=country,
            document_locale=locale,
            metadata=json.dumps(
                [{"key": "PO number", "value": "PO-4711", "display_in_invoice": True}]
            )
            if external_id == "cust_de"
            else None,
            source_file="catalog/customers.yaml",
        )
        customers.append(row)
    plans = []
    for code, name, _ in PLANS:
        row = {column: None for column in column_names("plans")}
        row.update(
            code=code,
            name=name,
            invoice_display_name=f"Ratebook {name}",
            source_file="catalog/plans.yaml",
        )
        plans.append(row)
    subscriptions = []
    for external_id, name, *_ in CUSTOMERS:
        for code, plan_name, _ in PLANS:
            row = {column: None for column in column_names("subscriptions")}
            row.update(
                external_id=f"sub_{external_id}_{code}",
                external_customer_id=external_id,
                plan_code=code,
                name=f"{plan_name} · production" if code != "starter" else None,
                created_at=datetime(2023, 12, 1),
                source_file="catalog/subscriptions.yaml",
            )
            subscriptions.append(row)
    coupon = {column: None for column in column_names("coupons")}
    coupon.update(
        code="welcome_10",
        name="Welcome offer -10%",
        coupon_type="percentage",
        source_file="catalog/coupons.yaml",
    )
    return {
        "organization": [organization],
        "customers": customers,
        "plans": plans,
        "subscriptions": subscriptions,
        "coupons": [coupon],
    }


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[dict]
) -> None:
    if not rows:
        return
    placeholders = ", ".join("?" for _ in columns)
    quoted = ", ".join(f'"{column}"' for column in columns)
    con.executemany(
        f"insert into {table} ({quoted}) values ({placeholders})",
        [[row.get(c) for c in columns] for row in rows],
    )


def create_sample_warehouse(path: Path, invoices: int = 40, contract_only: bool = False) -> Path:
    """A DuckDB file with `invoices` invoices (see the module docstring)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = build_rows(invoices)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists billing")
        con.execute("create schema if not exists raw")
        for table, columns in BILLING_COLUMNS.items():
            columns = columns + ([] if contract_only else OPTIONAL_COLUMNS.get(table, []))
            # Hand-written contract columns; table and column names are constants above.
            con.execute(
                f"create or replace table billing.{table} ({', '.join(f'{name} {kind}' for name, kind in columns)})"
            )
            _insert(con, f"billing.{table}", [name for name, _ in columns], rows[table])
        raw = _raw_rows()
        for table in raw:
            con.execute(f"drop table if exists raw.{table}")
            con.execute(create_table_sql(table))
            _insert(con, f"raw.{table}", column_names(table), raw[table])
    return path
