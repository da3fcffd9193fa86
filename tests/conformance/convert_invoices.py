"""invoices.json cases -> the case's own Lago objects with every identity namespaced by case id,
and the invoices to find in the warehouse."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tests.conformance.case import ConvertedCase, ns
from tests.conformance.vectors import decimal, parse_instant

# Invoice-level fields of the vectors that CONTRACT §3 billing.invoices has, compared as they are.
INVOICE_FIELDS = (
    "invoice_type",
    "status",
    "fees_amount_cents",
    "coupons_amount_cents",
    "sub_total_excluding_taxes_amount_cents",
    "taxes_amount_cents",
    "sub_total_including_taxes_amount_cents",
    "credit_notes_amount_cents",
    "prepaid_credit_amount_cents",
    "total_amount_cents",
)
# Asserted by a vector but absent from CONTRACT §3: reported as not compared, never silently dropped.
NOT_IN_CONTRACT = {
    "taxes_rate": "billing.invoices has no taxes_rate",
    "prepaid_granted_credit_amount_cents": "billing.invoices has no granted/paid split of prepaid credits",
    "taxes_precise_amount_cents": "billing.fees has no precise tax amount",
    "true_up": "billing.fees does not flag true-up fees (matched on the other fields)",
}
# Case keys that are not catalog kinds.
CASE_KEYS = {
    "id",
    "source",
    "kind",
    "theme",
    "tags",
    "notes",
    "bill_through",
    "expected_invoices",
    "expected_wallets",
}
CATALOG_KINDS = (
    "taxes",
    "billable_metrics",
    "plans",
    "add_ons",
    "customers",
    "subscriptions",
    "coupons",
    "applied_coupons",
    "wallets",
    "wallet_transactions",
    "one_off_invoices",
)

# What a vector tag means in features of tests/conformance/issues.py. An unknown tag stops
# the conversion, so that a new vector is classified on purpose.
TAG_FEATURES: dict[str, set[str]] = {
    "billing_periods": set(),
    "calendar": set(),
    "pay_in_advance": set(),  # plan or charge: the objects say which (see _data_features)
    "yearly": {"interval:yearly"},
    "weekly": {"interval:weekly"},
    "quarterly": {"interval:quarterly"},
    "anniversary": {"anniversary_billing"},
    "bill_charges_monthly": {"bill_charges_monthly"},
    "proration": {"proration"},
    "timezone": {"customer_timezone"},
    "trial": {"trial"},
    "upgrade": {"plan_change"},
    "downgrade": {"plan_change"},
    "termination": {"termination"},
    "min_amount_true_up": {"charge_min_amount"},
    "commitment": {"minimum_commitment"},
    "coupons": {"coupons"},
    "taxes": {"taxes"},
    "prepaid_credits": {"prepaid_credits"},
    "credit_notes": {"credit_notes"},
    "grace_period": {"grace_period_drafts"},
    "late_events": {"late_events"},
}


@dataclass(frozen=True)
class ExpectedInvoice:
    external_customer_id: str
    generated_at: datetime
    issuing_dates: tuple[date, date]  # the issuing dates that can match (inclusive)
    fields: dict  # INVOICE_FIELDS the vector asserts
    period: dict | None  # invoice_subscriptions bounds the vector asserts
    fees: tuple[dict, ...]  # asserted fees, codes namespaced
    fees_count: int | None
    commitment_fees_count: int | None
    not_compared: tuple[str, ...]


@dataclass(frozen=True)
class ExpectedWallet:
    external_customer_id: str
    code: str
    balance_cents: int | None
    invoiced_amount_cents: int | None


@dataclass(frozen=True)
class InvoiceCheck:
    invoices: tuple[ExpectedInvoice, ...]
    wallets: tuple[ExpectedWallet, ...]
    as_of: date  # wallet balances at the end of this day


class _Namer:
    def __init__(self, case_id: str):
        self.case_id = case_id

    def __call__(self, value: str | None) -> str | None:
        return None if value is None else ns(self.case_id, value)

    def all(self, values: list[str] | None) -> list[str] | None:
        return None if values is None else [self(value) for value in values]


def _rename(
    obj: dict, name: _Namer, keys: tuple[str, ...], list_keys: tuple[str, ...] = ()
) -> dict:
    out = copy.deepcopy(obj)
    for key in keys:
        if out.get(key) is not None:
            out[key] = name(out[key])
    for key in list_keys:
        if out.get(key) is not None:
            out[key] = name.all(out[key])
    return out


def _applies_to(obj: dict, name: _Namer) -> dict:
    if obj.get("applies_to"):
        obj["applies_to"] = _rename(
            obj["applies_to"], name, (), ("plan_codes", "billable_metric_codes")
        )
    return obj


def _plan(plan: dict, name: _Namer) -> dict:
    out = _rename(plan, name, ("code",), ("tax_codes",))
    if out.get("taxes"):
        out["taxes"] = [_rename(tax, name, ("code",)) for tax in out["taxes"]]
    if out.get("minimum_commitment"):
        out["minimum_commitment"] = _rename(out["minimum_commitment"], name, (), ("tax_codes",))
    out["charges"] = [
        _rename(charge, name, ("id", "billable_metric_code"), ("tax_codes",))
        for charge in out.get("charges", [])
    ]
    return out


def namespace_catalog(case: dict) -> dict[str, list[dict]]:
    """The case's catalog objects with every identity and reference prefixed by the case id.

    Organization-level taxes (`applied_to_organization`) would reach every customer of a
    shared catalog; they become the taxes of the case's customers that have none, the
    level just above them in Lago's hierarchy (reference/invoicing.md §3), which taxes
    the same fees.
    """
    name = _Namer(case["id"])
    unknown = sorted(set(case) - CASE_KEYS - set(CATALOG_KINDS) - {"organization", "events"})
    if unknown:
        raise ValueError(
            f"case {case['id']}: keys {unknown} are neither catalog kinds nor known case keys"
        )
    organization_taxes = [
        name(tax["code"]) for tax in case.get("taxes", []) if tax.get("applied_to_organization")
    ]
    catalog: dict[str, list[dict]] = {
        "taxes": [
            {**_rename(tax, name, ("code",)), "applied_to_organization": False}
            for tax in case.get("taxes", [])
        ],
        "billable_metrics": [
            _rename(metric, name, ("code",)) for metric in case.get("billable_metrics", [])
        ],
        "plans": [_plan(plan, name) for plan in case.get("plans", [])],
        "add_ons": [
            _rename(add_on, name, ("code",), ("tax_codes",)) for add_on in case.get("add_ons", [])
        ],
        "customers": [],
        "subscriptions": [],
        "coupons": [
            _applies_to(_rename(coupon, name, ("code",)), name)
            for coupon in case.get("coupons", [])
        ],
        "applied_coupons": [
            _rename(applied, name, ("external_customer_id", "coupon_code"))
            for applied in case.get("applied_coupons", [])
        ],
        "wallets": [
            _applies_to(_rename(wallet, name, ("external_customer_id", "code")), name)
            for wallet in case.get("wallets", [])
        ],
        "wallet_transactions": [
            _rename(tx, name, ("transaction_id", "external_customer_id", "wallet_code"))
            for tx in case.get("wallet_transactions", [])
        ],
        "one_off_invoices": [],
    }
    for customer in case.get("customers", []):
        out = _rename(customer, name, ("external_id",), ("tax_codes",))
        if organization_taxes and not out.get("tax_codes"):
            out["tax_codes"] = list(organization_taxes)
        catalog["customers"].append(out)
    for subscription in case.get("subscriptions", []):
        if subscription.get("plan_overrides"):
            raise ValueError(f"case {case['id']}: plan_overrides are not namespaced yet")
        catalog["subscriptions"].append(
            _rename(subscription, name, ("external_id", "external_customer_id", "plan_code"))
        )
    for invoice in case.get("one_off_invoices", []):
        out = _rename(invoice, name, ("external_id", "external_customer_id"))
        out["fees"] = [_rename(fee, name, ("add_on_code",)) for fee in out.get("fees", [])]
        catalog["one_off_invoices"].append(out)
    return {kind: objects for kind, objects in catalog.items() if objects}


def namespace_events(case: dict) -> list[dict]:
    name = _Namer(case["id"])
    return [
        _rename(
            event,
            name,
            ("transaction_id", "external_subscription_id", "external_customer_id", "code"),
        )
        for event in case.get("events", [])
    ]


def _data_features(case: dict) -> set[str]:
    features: set[str] = set()
    for metric in case.get("billable_metrics", []):
        features.add(f"aggregation:{metric['aggregation_type']}")
        if metric.get("recurring"):
            features.add("recurring_metric")
        if metric.get("filters"):
            features.add("metric_filters")
        if metric.get("rounding_function"):
            features.add("unit_rounding")
    for plan in case.get("plans", []):
        features.add(f"interval:{plan['interval']}")
        if plan.get("trial_period"):
            features.add("trial")
        if plan.get("bill_charges_monthly"):
            features.add("bill_charges_monthly")
        if plan.get("minimum_commitment"):
            features.add("minimum_commitment")
        for charge in plan.get("charges", []):
            features.add(f"charge_model:{charge['charge_model']}")
            if charge.get("pay_in_advance"):
                features.add("pay_in_advance_charge")
            if charge.get("prorated"):
                features.add("prorated_charge")
            if charge.get("min_amount_cents"):
                features.add("charge_min_amount")
            if charge.get("filters"):
                features.add("metric_filters")
            properties = charge.get("properties") or {}
            if properties.get("pricing_group_keys") or properties.get("grouped_by"):
                features.add("pricing_groups")
    if any(decimal(tax["rate"]) != 0 for tax in case.get("taxes", [])):
        features.add("taxes")
    external_ids = [subscription["external_id"] for subscription in case.get("subscriptions", [])]
    if len(external_ids) != len(set(external_ids)):
        features.add("plan_change")
    for subscription in case.get("subscriptions", []):
        if subscription.get("billing_time") == "anniversary":
            features.add("anniversary_billing")
        if subscription.get("terminated_at") or subscription.get("ending_at"):
            features.add("termination")
    organization = case.get("organization") or {}
    if (organization.get("billing_configuration") or {}).get("invoice_grace_period"):
        features.add("grace_period_drafts")
    for customer in case.get("customers", []):
        if customer.get("timezone") not in (None, "UTC"):
            features.add("customer_timezone")
        if (customer.get("billing_configuration") or {}).get("invoice_grace_period"):
            features.add("grace_period_drafts")
    if case.get("coupons") or case.get("applied_coupons"):
        features.add("coupons")
    if case.get("wallets") or case.get("wallet_transactions"):
        features.add("prepaid_credits")
    if case.get("add_ons"):
        features.add("add_ons")
    if case.get("one_off_invoices"):
        features.add("one_off_invoices")
    if any(expected.get("credit_notes_amount_cents") for expected in case["expected_invoices"]):
        features.add("credit_notes")
    return features


def invoice_features(case: dict) -> frozenset[str]:
    features = _data_features(case)
    for tag in case.get("tags", []):
        if tag not in TAG_FEATURES:
            raise ValueError(f"case {case['id']}: tag {tag!r} has no entry in TAG_FEATURES")
        features |= TAG_FEATURES[tag]
    return frozenset(features)


def _grace_days(case: dict, external_customer_id: str) -> int:
    organization = (case.get("organization") or {}).get("billing_configuration") or {}
    for customer in case.get("customers", []):
        if customer["external_id"] == external_customer_id:
            own = (customer.get("billing_configuration") or {}).get("invoice_grace_period")
            if own is not None:
                return int(own)
    return int(organization.get("invoice_grace_period") or 0)


def _expected_fee(fee: dict, name: _Namer) -> dict:
    out = dict(fee)
    if out.get("type") != "commitment":  # the vectors' `minimum_commitment` is a naming convention
        out["code"] = name(out["code"])
    if out.get("external_subscription_id"):
        out["external_subscription_id"] = name(out["external_subscription_id"])
    return out


def _expected_invoice(case: dict, expected: dict, name: _Namer) -> ExpectedInvoice:
    customer = expected["external_customer_id"]
    generated_at = parse_instant(expected["generated_at"])
    if expected.get("issuing_date"):
        day = date.fromisoformat(expected["issuing_date"])
        dates = (day, day)
    else:
        # No issuing date in the spec (grace period): Lago issues it `grace` days after the
        # billing day at the latest (reference/invoicing.md §7).
        day = generated_at.date()
        dates = (day, day + timedelta(days=_grace_days(case, customer)))
    fee_keys = {key for fee in expected.get("fees", []) for key in fee}
    not_compared = sorted((set(expected) | fee_keys) & set(NOT_IN_CONTRACT))
    return ExpectedInvoice(
        external_customer_id=name(customer),
        generated_at=generated_at,
        issuing_dates=dates,
        fields={key: expected[key] for key in INVOICE_FIELDS if key in expected},
        period=expected.get("period"),
        fees=tuple(_expected_fee(fee, name) for fee in expected.get("fees", [])),
        fees_count=expected.get("fees_count"),
        commitment_fees_count=expected.get("commitment_fees_count"),
        not_compared=tuple(not_compared),
    )


def convert_invoice(case: dict) -> ConvertedCase:
    name = _Namer(case["id"])
    invoices = tuple(
        _expected_invoice(case, expected, name) for expected in case["expected_invoices"]
    )
    bill_through = date.fromisoformat(case["bill_through"])
    # Up to the last issuing date an expected invoice may have: a spec that finalizes a draft
    # by hand is run to the end of its grace period; a customer east of UTC issues a day later.
    through = max([bill_through] + [invoice.issuing_dates[1] for invoice in invoices])
    notes = []
    if through > bill_through:
        notes.append(
            f"run through {through}, the last issuing date an expected invoice may have (bill_through {bill_through})"
        )
    if any(tax.get("applied_to_organization") for tax in case.get("taxes", [])):
        notes.append(
            "organization taxes applied as the taxes of the case's customers (shared catalog)"
        )
    wallets = tuple(
        ExpectedWallet(
            external_customer_id=_wallet_customer(case, wallet["code"], name),
            code=name(wallet["code"]),
            balance_cents=wallet.get("balance_cents"),
            invoiced_amount_cents=wallet.get("invoiced_amount_cents"),
        )
        for wallet in case.get("expected_wallets") or []
    )
    return ConvertedCase(
        case_id=case["id"],
        kind="invoice",
        catalog=namespace_catalog(case),
        events=namespace_events(case),
        through=through,
        detected_features=invoice_features(case),
        check=InvoiceCheck(invoices=invoices, wallets=wallets, as_of=through),
        organization=copy.deepcopy(case.get("organization")),
        notes=notes,
    )


def _wallet_customer(case: dict, code: str, name: _Namer) -> str:
    owners = [
        wallet["external_customer_id"]
        for wallet in case.get("wallets", [])
        if wallet["code"] == code
    ]
    if len(owners) != 1:
        raise ValueError(
            f"case {case['id']}: expected wallet {code!r} matches {len(owners)} wallets"
        )
    return name(owners[0])
