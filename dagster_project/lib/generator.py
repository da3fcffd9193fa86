"""Synthetic data directories for `billing generate`: a catalog and daily Parquet events.

The catalog (a few plans, customers, subscriptions, coupons, wallets) is
configuration, so it is built in Python with a seeded `random.Random` and
written as YAML, money in integer cents and decimals as strings. The events are
generated set-based in DuckDB: one `COPY (select ...) to parquet` per day over a
table of event numbers, with `hash(seed, event number, k)` as the pseudo-random
source and no per-event Python, so ten million events take about 20 seconds on
two cores, and a seed always gives the same rows (and the same file bytes).

Layout written under `out_dir`:

    catalog/organization.yaml, taxes.yaml, billable_metrics.yaml, plans.yaml,
            customers.yaml, subscriptions.yaml, coupons.yaml, wallets.yaml
    events/date=YYYY-MM-DD/events.parquet   one file per day, sorted by timestamp
    .ratebook-generated                     marker: this directory may be regenerated

Every subscription starts at `start` (00:00 UTC, calendar billing) and none
ends, so every event falls inside a subscription period and is billable.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

MARKER = ".ratebook-generated"

# The fixed part of every generated catalog, in the catalog's own format (see the
# commented demo in data/catalog/). Customers, subscriptions, applied coupons and
# wallets are drawn per seed in `build_catalog`.
TEMPLATE_YAML = """
organization:
  name: Synthetic Cloud Inc.
  default_currency: USD
  timezone: UTC
  net_payment_term: 30
  document_numbering: per_customer
  document_number_prefix: SYN
  email: billing@synthetic-cloud.example
  country: US
  billing_configuration: {invoice_grace_period: 2, document_locale: en}

taxes:
  - {code: vat_fr_20, name: TVA France 20%, rate: "20", applied_to_organization: false}
  - {code: vat_de_19, name: MwSt Deutschland 19%, rate: "19", applied_to_organization: false}
  - {code: us_ca_sales_tax, name: California sales tax 7.25%, rate: "7.25",
     applied_to_organization: false}
  - {code: us_ny_sales_tax, name: New York sales tax 8.875%, rate: "8.875",
     applied_to_organization: false}

# Lago's six aggregation types, one metric each.
billable_metrics:
  - {code: api_calls, name: API calls, aggregation_type: count_agg, recurring: false}
  - {code: storage_gb, name: Storage written (GB), aggregation_type: sum_agg, field_name: gb,
     recurring: false}
  - {code: concurrent_builds, name: Peak concurrent builds, aggregation_type: max_agg,
     field_name: builds, recurring: false}
  - {code: active_users, name: Monthly active users, aggregation_type: unique_count_agg,
     field_name: user_id, recurring: false}
  - {code: provisioned_vcpus, name: Provisioned vCPUs, aggregation_type: weighted_sum_agg,
     field_name: vcpus, weighted_interval: seconds, recurring: true}
  - {code: licensed_seats, name: Licensed seats, aggregation_type: latest_agg, field_name: seats,
     recurring: false}

# Monthly and yearly, in advance and in arrears, in USD and EUR. Mostly standard
# charges, one graduated and one package charge. Charge ids are added in build_catalog.
plans:
  - code: starter_monthly
    name: Starter
    interval: monthly
    amount_cents: 4900
    amount_currency: USD
    pay_in_advance: false
    charges:
      - {billable_metric_code: api_calls, charge_model: standard, properties: {amount: "0.002"}}
      - {billable_metric_code: storage_gb, charge_model: standard, properties: {amount: "0.50"}}
  - code: pro_monthly
    name: Pro
    interval: monthly
    amount_cents: 19900
    amount_currency: USD
    pay_in_advance: true
    charges:
      - billable_metric_code: api_calls
        charge_model: graduated
        properties:
          graduated_ranges:
            - {from_value: 0, to_value: 1000, per_unit_amount: "0", flat_amount: "0"}
            - {from_value: 1001, to_value: 100000, per_unit_amount: "0.0015", flat_amount: "0"}
            - {from_value: 100001, to_value: null, per_unit_amount: "0.001", flat_amount: "0"}
      - {billable_metric_code: storage_gb, charge_model: standard, properties: {amount: "0.40"}}
      - {billable_metric_code: concurrent_builds, charge_model: standard,
         properties: {amount: "5.00"}}
      - {billable_metric_code: active_users, charge_model: standard, properties: {amount: "4.00"}}
  - code: scale_yearly
    name: Scale (yearly)
    interval: yearly
    amount_cents: 240000
    amount_currency: USD
    pay_in_advance: false
    bill_charges_monthly: true
    charges:
      - {billable_metric_code: api_calls, charge_model: standard, properties: {amount: "0.0008"}}
      - {billable_metric_code: concurrent_builds, charge_model: standard,
         properties: {amount: "4.00"}}
      - {billable_metric_code: licensed_seats, charge_model: standard,
         properties: {amount: "10.00"}}
  - code: starter_monthly_eur
    name: Starter (EUR)
    interval: monthly
    amount_cents: 4500
    amount_currency: EUR
    pay_in_advance: false
    charges:
      - {billable_metric_code: api_calls, charge_model: standard, properties: {amount: "0.0018"}}
      - {billable_metric_code: storage_gb, charge_model: standard, properties: {amount: "0.45"}}
  - code: team_monthly_eur
    name: Team (EUR)
    interval: monthly
    amount_cents: 7900
    amount_currency: EUR
    pay_in_advance: true
    charges:
      - billable_metric_code: api_calls
        charge_model: package
        properties: {amount: "1.50", package_size: 1000, free_units: 1000}
      - {billable_metric_code: storage_gb, charge_model: standard, properties: {amount: "0.45"}}
      - {billable_metric_code: active_users, charge_model: standard, properties: {amount: "3.50"}}
  - code: enterprise_yearly_eur
    name: Enterprise (yearly, EUR)
    interval: yearly
    amount_cents: 1200000
    amount_currency: EUR
    pay_in_advance: true
    bill_charges_monthly: true
    charges:
      - {billable_metric_code: storage_gb, charge_model: standard, properties: {amount: "0.30"}}
      - {billable_metric_code: provisioned_vcpus, charge_model: standard,
         properties: {amount: "15.00"}}
      - {billable_metric_code: licensed_seats, charge_model: standard,
         properties: {amount: "20.00"}}

coupons:
  - {code: welcome_10, name: "Welcome offer, 10 % off three invoices", coupon_type: percentage,
     percentage_rate: "10", frequency: recurring, frequency_duration: 3, expiration: no_expiration,
     reusable: false}
  - {code: migration_credit_usd, name: "Migration credit, USD 50 once", coupon_type: fixed_amount,
     amount_cents: 5000, amount_currency: USD, frequency: once, expiration: no_expiration,
     reusable: false}
  - {code: annual_5, name: "Annual plans, 5 % off forever", coupon_type: percentage,
     percentage_rate: "5", frequency: forever, expiration: no_expiration, reusable: false,
     applies_to: {plan_codes: [scale_yearly, enterprise_yearly_eur]}}
"""

# A metric's share of the events of a subscription whose plan charges it.
METRIC_WEIGHTS = {
    "api_calls": 60,
    "storage_gb": 15,
    "active_users": 15,
    "concurrent_builds": 5,
    "provisioned_vcpus": 3,
    "licensed_seats": 2,
}

# Plan mix per currency: (plan code, relative weight).
PLAN_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    "USD": (("starter_monthly", 55), ("pro_monthly", 30), ("scale_yearly", 15)),
    "EUR": (("starter_monthly_eur", 40), ("team_monthly_eur", 40), ("enterprise_yearly_eur", 20)),
}

# fmt: off
_NAME_FIRST = (
    "Northwind", "Blue", "Summit", "Vertex", "Harbor", "Quantum", "Cedar", "Atlas", "Nimbus",
    "Orbit", "Granite", "Lumen", "Pioneer", "Crescent", "Falcon", "Juniper", "Meridian", "Silver",
)
_NAME_SECOND = (
    "Analytics", "Labs", "Systems", "Logistics", "Health", "Robotics", "Media", "Foods",
    "Capital", "Networks", "Studios", "Energy", "Software", "Retail", "Bio", "Mobility",
)
# fmt: on
_US_STATES = (
    ("CA", "San Francisco", "us_ca_sales_tax"),
    ("NY", "New York", "us_ny_sales_tax"),
    ("TX", "Austin", None),
    ("WA", "Seattle", None),
    ("MA", "Boston", None),
)
_EU = (("FR", "Paris", "vat_fr_20", "fr"), ("DE", "Berlin", "vat_de_19", "de"))
_ENDPOINTS = (
    "GET /v1/instances",
    "POST /v1/instances",
    "GET /v1/buckets",
    "PUT /v1/objects",
    "GET /v1/metrics",
    "DELETE /v1/objects",
)
_VCPU_DELTAS = (8, 4, 4, 2, -2, -4)  # mostly growth: a recurring level that rarely goes below zero


@dataclass(frozen=True)
class GenerationStats:
    """What `generate` wrote."""

    out_dir: Path
    seed: int
    first_day: date
    last_day: date
    customers: int
    subscriptions: int
    plans: int
    billable_metrics: int
    coupons: int
    applied_coupons: int
    wallets: int
    events: int
    event_files: int
    seconds: float

    def summary(self) -> str:
        rate = self.events / self.seconds if self.seconds > 0 else 0.0
        files = f"{self.event_files:,} daily Parquet file{'' if self.event_files == 1 else 's'}"
        catalog = (
            f"{self.customers:,} customers, {self.subscriptions:,} subscriptions "
            f"on {self.plans} plans, "
            f"{self.billable_metrics} billable metrics, {self.coupons} coupons "
            f"({self.applied_coupons:,} applied), {self.wallets:,} wallets"
        )
        events = f"{self.events:,} events from {self.first_day} to {self.last_day}, in {files}"
        return "\n".join(
            [
                f"Wrote {self.out_dir} (seed {self.seed})",
                f"  catalog: {catalog}",
                f"  events:  {events}",
                f"  took {self.seconds:.1f} s ({rate:,.0f} events/s)",
            ]
        )


def generate(
    out_dir: Path,
    customers: int = 100,
    days: int = 31,
    events_per_day: int = 1000,
    seed: int = 42,
    start: date = date(2024, 1, 1),
) -> GenerationStats:
    """Write a complete synthetic data directory (catalog + events) to `out_dir`.

    Deterministic: the same arguments always write the same catalog bytes and the
    same event rows. `out_dir` must be empty, missing, or an earlier output of
    this function (its catalog/ and events/ are then replaced).
    """
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if events_per_day < 0:
        raise ValueError(f"events_per_day cannot be negative, got {events_per_day}")
    if not -(2**63) <= seed < 2**63:
        raise ValueError(f"seed must fit in 64 bits, got {seed}")
    began = time.perf_counter()
    out_dir = Path(out_dir)
    _prepare(out_dir)
    # Written first, so that a run that fails half-way can be rerun into the same place.
    (out_dir / MARKER).write_text(
        f"Written by `billing generate` (dagster_project/lib/generator.py): customers={customers} "
        f"days={days} events_per_day={events_per_day} seed={seed} start={start.isoformat()}\n"
    )

    catalog = build_catalog(customers=customers, seed=seed, start=start)
    _write_catalog(out_dir / "catalog", catalog, seed)
    event_files = _write_events(out_dir / "events", catalog, days, events_per_day, seed, start)

    return GenerationStats(
        out_dir=out_dir,
        seed=seed,
        first_day=start,
        last_day=start + timedelta(days=days - 1),
        customers=len(catalog["customers"]),
        subscriptions=len(catalog["subscriptions"]),
        plans=len(catalog["plans"]),
        billable_metrics=len(catalog["billable_metrics"]),
        coupons=len(catalog["coupons"]),
        applied_coupons=len(catalog["applied_coupons"]),
        wallets=len(catalog["wallets"]),
        events=days * events_per_day,
        event_files=event_files,
        seconds=time.perf_counter() - began,
    )


def _prepare(out_dir: Path) -> None:
    """Refuse to mix with foreign files; clear an earlier generated output."""
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / MARKER).exists():
            raise FileExistsError(
                f"{out_dir} is not empty and was not written by `billing generate`: "
                "choose an empty or new directory"
            )
        for sub in ("catalog", "events"):
            shutil.rmtree(out_dir / sub, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)


# --------------------------------------------------------------------------- catalog


def build_catalog(customers: int, seed: int, start: date) -> dict[str, Any]:
    """The catalog as Lago-shaped objects, one list per kind (organization: a mapping)."""
    rng = random.Random(seed)
    catalog: dict[str, Any] = yaml.safe_load(TEMPLATE_YAML)
    plans = {plan["code"]: plan for plan in catalog["plans"]}
    for plan in catalog["plans"]:
        plan["charges"] = [
            {"id": f"ch_{plan['code']}_{charge['billable_metric_code']}", **charge}
            for charge in plan["charges"]
        ]
    midnight = datetime(start.year, start.month, start.day)
    starts_at = _iso(midnight)
    catalog.update(customers=[], subscriptions=[], applied_coupons=[], wallets=[])

    for number in range(1, customers + 1):
        customer = _customer(number, rng)
        external_id, currency = customer["external_id"], customer["currency"]
        catalog["customers"].append(customer)

        # Every customer has a subscription; some a second one on another plan.
        codes, weights = zip(*PLAN_MIX[currency])
        chosen = rng.choices(codes, weights=weights)
        if rng.random() < 0.15:
            chosen.append(rng.choice([code for code in codes if code != chosen[0]]))
        for position, plan_code in enumerate(chosen, start=1):
            catalog["subscriptions"].append(
                {
                    "external_id": f"sub_{number:06d}_{position}",
                    "external_customer_id": external_id,
                    "plan_code": plan_code,
                    "name": f"{customer['name']} {plans[plan_code]['name']}",
                    "created_at": starts_at,
                    "subscription_at": starts_at,
                    "billing_time": "calendar",
                }
            )

        coupons = []
        if rng.random() < 0.10:
            coupons.append("welcome_10")
        if currency == "USD" and rng.random() < 0.05:
            coupons.append("migration_credit_usd")
        if any(plans[code]["interval"] == "yearly" for code in chosen) and rng.random() < 0.5:
            coupons.append("annual_5")
        catalog["applied_coupons"] += [
            {"external_customer_id": external_id, "coupon_code": code, "created_at": starts_at}
            for code in coupons
        ]

        if rng.random() < 0.08:
            catalog["wallets"].append(
                {
                    "external_customer_id": external_id,
                    "code": "prepaid",
                    "name": "Prepaid credits",
                    "currency": currency,
                    "rate_amount": "1",
                    "granted_credits": rng.choice(("100", "250", "500")),
                    "paid_credits": "0",
                    "priority": 50,
                    "created_at": _iso(midnight - timedelta(days=1)),
                    "invoice_requires_successful_payment": False,
                }
            )
    return catalog


def _customer(number: int, rng: random.Random) -> dict[str, Any]:
    """A US (USD, some with sales tax) or European (EUR, with VAT) customer."""
    currency = "EUR" if rng.random() < 0.3 else "USD"
    customer: dict[str, Any] = {
        "external_id": f"cus_{number:06d}",
        "name": f"{rng.choice(_NAME_FIRST)} {rng.choice(_NAME_SECOND)}",
        "email": f"billing+{number:06d}@example.com",
        "currency": currency,
    }
    billing: dict[str, Any] = {}
    if currency == "USD":
        state, city, tax = rng.choice(_US_STATES)
        customer.update(city=city, state=state, country="US")
        if tax:
            customer["tax_codes"] = [tax]
        providers = (("stripe", 0.6),)
    else:
        country, city, tax, locale = rng.choice(_EU)
        customer.update(city=city, country=country, tax_codes=[tax])
        billing["document_locale"] = locale
        providers = (("gocardless", 0.4), ("adyen", 0.6), ("stripe", 0.8))
    draw = rng.random()
    provider = next((name for name, threshold in providers if draw < threshold), None)
    if provider:
        billing["payment_provider"] = provider
        billing["provider_customer_id"] = _provider_customer_id(provider, rng)
    if billing:
        customer["billing_configuration"] = billing
    return customer


def _provider_customer_id(provider: str, rng: random.Random) -> str:
    token = "".join(
        rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789") for _ in range(14)
    )
    return {
        "stripe": f"cus_{token}",
        "gocardless": f"CU{token[:10].upper()}",
        "adyen": f"shopper_{token}",
    }[provider]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# One file per kind (applied coupons beside their coupons), in this order.
CATALOG_FILES: dict[str, tuple[str, ...]] = {
    "organization.yaml": ("organization",),
    "taxes.yaml": ("taxes",),
    "billable_metrics.yaml": ("billable_metrics",),
    "plans.yaml": ("plans",),
    "customers.yaml": ("customers",),
    "subscriptions.yaml": ("subscriptions",),
    "coupons.yaml": ("coupons", "applied_coupons"),
    "wallets.yaml": ("wallets",),
}


# Kinds with a row per customer are written one flow mapping per line (JSON, which
# YAML reads as it is): PyYAML's block emitter takes a minute for 100,000 customers,
# this takes a second, and a line per customer is easy to grep.
ROW_PER_LINE_KINDS = frozenset({"customers", "subscriptions", "applied_coupons", "wallets"})


def _write_catalog(catalog_dir: Path, catalog: dict[str, Any], seed: int) -> None:
    catalog_dir.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Synthetic catalog written by `billing generate` (seed {seed}); "
        "do not edit, regenerate.\n"
        "# Same shapes as the commented demo catalog in data/catalog/: money in integer cents,\n"
        "# decimals as strings, timestamps ISO-8601 UTC.\n"
    )
    for file_name, kinds in CATALOG_FILES.items():
        body = "".join(_yaml_section(kind, catalog[kind]) for kind in kinds)
        (catalog_dir / file_name).write_text(header + body, encoding="utf-8")


def _yaml_section(kind: str, value: Any) -> str:
    if kind not in ROW_PER_LINE_KINDS:
        return yaml.safe_dump({kind: value}, sort_keys=False, width=100)
    if not value:
        return f"{kind}: []\n"
    return f"{kind}:\n" + "".join(f"  - {json.dumps(row)}\n" for row in value)


# --------------------------------------------------------------------------- events

# One day of events. Parameters: $seed; $first and $n (the day's event numbers
# are first .. first + n - 1, unique over the whole run); $day (midnight UTC);
# $subscriptions (how many). Every event draws independent 64-bit hashes
# hash(seed, event number, k), and u = hash / 2^64 is uniform in [0, 1):
#   k=1 the subscription, skewed: activity rank = floor(S * u^2.5), so a few
#       subscriptions send most events (the top tenth about 40 %);
#   k=2 the metric, among those its plan charges, by METRIC_WEIGHTS;
#   k=3 the time of day, 70 % within 07:00-19:00 UTC, to the millisecond;
#   k=4 the property value; k=5 the reception delay (created_at, under 3 s).
EVENTS_SQL = """
copy (
    with draws as (
        select
            event_number,
            hash($seed, event_number, 1) / 18446744073709551616.0 as u_subscription,
            hash($seed, event_number, 2) as hash_metric,
            hash($seed, event_number, 3) as hash_time,
            hash($seed, event_number, 4) as hash_value,
            hash($seed, event_number, 4) / 18446744073709551616.0 as u_value,
            hash($seed, event_number, 5) as hash_delay,
        from (
            select $first + offset_in_day as event_number
            from gen_numbers
            where offset_in_day < $n
        )
    ),

    events_assigned as (
        select
            draws.*,
            gen_subscriptions.external_subscription_id,
            gen_subscriptions.external_customer_id,
            gen_subscriptions.user_pool,
            gen_subscriptions.base_seats,
            gen_subscriptions.metric_choices[
                1 + (draws.hash_metric % len(gen_subscriptions.metric_choices))::bigint
            ] as code,
            $day::timestamp + to_milliseconds(
                case
                    when draws.hash_time % 10 < 7 then 25200000 + (draws.hash_time // 10) % 43200000
                    else (draws.hash_time // 10) % 86400000
                end::bigint
            ) as event_timestamp,
            1 + floor(99999 * pow(draws.u_value, 2))::bigint as thousandths,
        from draws
        inner join gen_subscriptions
            on gen_subscriptions.activity_rank
                = least(
                    $subscriptions - 1,
                    floor($subscriptions * pow(draws.u_subscription, 2.5))::bigint
                )
    ),

    events_valued as (
        select
            events_assigned.*,
            gen_metrics.field_name,
            case gen_metrics.aggregation_type
                -- an API request carries no number, only what was called
                when 'count_agg' then
                    '"' || list_extract(
                        $endpoints, 1 + (events_assigned.hash_value % len($endpoints))::bigint
                    ) || '"'
                -- 0.001 to 99.999 GB, mostly small, written from integer thousandths
                when 'sum_agg' then
                    (events_assigned.thousandths // 1000)::varchar || '.'
                    || lpad((events_assigned.thousandths % 1000)::varchar, 3, '0')
                -- 1 to 16 builds at once, mostly few
                when 'max_agg' then
                    (1 + floor(16 * pow(events_assigned.u_value, 2)))::bigint::varchar
                -- a user of this customer, the first users of the pool the most active
                when 'unique_count_agg' then
                    '"' || events_assigned.external_customer_id || '-u' || lpad(
                        floor(events_assigned.user_pool * pow(events_assigned.u_value, 1.5))
                            ::bigint::varchar,
                        5,
                        '0'
                    ) || '"'
                -- a change of the provisioned level, mostly growth
                when 'weighted_sum_agg' then
                    list_extract(
                        $vcpu_deltas, 1 + (events_assigned.hash_value % len($vcpu_deltas))::bigint
                    )::varchar
                -- the seat count, within 5 of the customer's usual
                when 'latest_agg' then
                    (events_assigned.base_seats - 5 + (events_assigned.hash_value % 11)::bigint)
                        ::varchar
            end as property_value,
        from events_assigned
        inner join gen_metrics
            on gen_metrics.code = events_assigned.code
    )

    select
        printf('evt_%d_%012d', $seed, event_number) as transaction_id,
        external_subscription_id,
        external_customer_id,
        code,
        event_timestamp as "timestamp",
        '{"' || field_name || '":' || property_value || '}' as properties,
        event_timestamp + to_milliseconds((hash_delay % 3000)::bigint) as created_at,
    from events_valued
    order by "timestamp", transaction_id
) to $path (format parquet, compression zstd)
"""


def _write_events(
    events_dir: Path,
    catalog: dict[str, Any],
    days: int,
    events_per_day: int,
    seed: int,
    start: date,
) -> int:
    """One Parquet file per day; returns the number of files written."""
    events_dir.mkdir(parents=True, exist_ok=True)
    if events_per_day == 0:
        return 0
    rng = random.Random(f"events-{seed}")
    metric_choices = {
        plan["code"]: [
            charge["billable_metric_code"]
            for charge in plan["charges"]
            for _ in range(METRIC_WEIGHTS[charge["billable_metric_code"]])
        ]
        for plan in catalog["plans"]
    }
    subscriptions = catalog["subscriptions"]
    ranks = list(range(len(subscriptions)))
    rng.shuffle(ranks)  # activity is independent of customer numbering
    gen_subscriptions = pd.DataFrame(
        {
            "activity_rank": ranks,
            "external_subscription_id": [sub["external_id"] for sub in subscriptions],
            "external_customer_id": [sub["external_customer_id"] for sub in subscriptions],
            "metric_choices": [metric_choices[sub["plan_code"]] for sub in subscriptions],
            "user_pool": [rng.randint(5, 500) for _ in subscriptions],
            "base_seats": [rng.randint(10, 400) for _ in subscriptions],
        }
    )
    gen_metrics = pd.DataFrame(
        {
            "code": [metric["code"] for metric in catalog["billable_metrics"]],
            "aggregation_type": [
                metric["aggregation_type"] for metric in catalog["billable_metrics"]
            ],
            # count_agg has no field; its events name the endpoint called
            "field_name": [
                metric.get("field_name", "endpoint") for metric in catalog["billable_metrics"]
            ],
        }
    )

    with duckdb.connect() as con:
        con.register("gen_subscriptions_frame", gen_subscriptions)
        con.register("gen_metrics_frame", gen_metrics)
        con.execute("create table gen_subscriptions as select * from gen_subscriptions_frame")
        con.execute("create table gen_metrics as select * from gen_metrics_frame")
        # A materialized table scans on every thread, where range() runs on one.
        con.execute(
            "create table gen_numbers as select range as offset_in_day from range($n)",
            {"n": events_per_day},
        )

        def write_day(offset: int) -> None:
            day = start + timedelta(days=offset)
            day_dir = events_dir / f"date={day.isoformat()}"
            day_dir.mkdir(parents=True, exist_ok=True)
            with con.cursor() as cursor:
                cursor.execute(
                    EVENTS_SQL,
                    {
                        "seed": seed,
                        "subscriptions": len(subscriptions),
                        "first": offset * events_per_day,
                        "n": events_per_day,
                        "day": datetime(day.year, day.month, day.day),
                        "endpoints": list(_ENDPOINTS),
                        "vcpu_deltas": list(_VCPU_DELTAS),
                        "path": str(day_dir / "events.parquet"),
                    },
                )

        # Days are independent; a day's query uses about one core, so run as
        # many days at once as there are cores. Each day's file is the same
        # whatever the interleaving.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(write_day, range(days)))
    return days
