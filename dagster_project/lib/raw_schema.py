"""The `raw.*` tables: the interface between ingestion (Python) and dbt (staging).

Ingestion writes exactly these columns; `dbt_project/models/staging/_raw__sources.yml`
declares the same tables. Types are chosen to be exact: money in integer cents
(BIGINT) or DECIMAL, timestamps as naive UTC `TIMESTAMP`, nested Lago objects
that dbt reads with JSON functions as `JSON`. Every table carries `source_file`
(path relative to the data directory) so any number can be traced to its file.

Conventions:
- Catalog tables are replaced as a whole on every run (the catalog is small and
  is the configuration "as of" the run).
- `raw.events` and `raw.event_rejects` are replaced per event date (`event_date`,
  the UTC date of the event timestamp) inside the run's partition window;
  `raw.event_landings` records, per event date, the landing that last replaced it.
"""

from __future__ import annotations

# A wide precise decimal for amounts, units and rates given as decimal text.
DEC = "DECIMAL(38, 12)"

RAW_TABLES: dict[str, list[tuple[str, str]]] = {
    # Always exactly one row (defaults filled in when the catalog has no organization).
    "organization": [
        ("name", "VARCHAR"),
        ("default_currency", "VARCHAR"),
        ("timezone", "VARCHAR"),
        ("net_payment_term", "INTEGER"),
        ("document_numbering", "VARCHAR"),
        ("document_number_prefix", "VARCHAR"),
        ("tax_identification_number", "VARCHAR"),
        ("email", "VARCHAR"),
        ("address_line1", "VARCHAR"),
        ("address_line2", "VARCHAR"),
        ("city", "VARCHAR"),
        ("zipcode", "VARCHAR"),
        ("state", "VARCHAR"),
        ("country", "VARCHAR"),
        ("logo_url", "VARCHAR"),
        ("invoice_grace_period", "INTEGER"),
        ("document_locale", "VARCHAR"),
        ("invoice_footer", "VARCHAR"),
        ("in_advance_charges_invoicing", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ],
    "taxes": [
        ("code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("rate", DEC),  # percent, e.g. 20.0
        ("applied_to_organization", "BOOLEAN"),
        ("source_file", "VARCHAR"),
    ],
    "billable_metrics": [
        ("code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("aggregation_type", "VARCHAR"),
        ("field_name", "VARCHAR"),
        ("recurring", "BOOLEAN"),
        ("weighted_interval", "VARCHAR"),
        ("rounding_function", "VARCHAR"),
        ("rounding_precision", "INTEGER"),
        ("source_file", "VARCHAR"),
    ],
    # One row per filter key of a metric: values is a JSON list of strings.
    "billable_metric_filters": [
        ("billable_metric_code", "VARCHAR"),
        ("key", "VARCHAR"),
        ("values", "JSON"),
        ("source_file", "VARCHAR"),
    ],
    "plans": [
        ("code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("invoice_display_name", "VARCHAR"),
        ("interval", "VARCHAR"),
        ("amount_cents", "BIGINT"),
        ("amount_currency", "VARCHAR"),
        ("pay_in_advance", "BOOLEAN"),
        ("trial_period", DEC),  # days
        ("bill_charges_monthly", "BOOLEAN"),
        ("minimum_commitment_amount_cents", "BIGINT"),  # null: no commitment
        ("minimum_commitment_invoice_display_name", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ],
    # charge_id: the charge's `id` when given, else "<plan_code>:<position>".
    # A charge a subscription overrides (plan_overrides.charges) is a row of its own, as Lago
    # makes a child charge: charge_id "<parent charge_id>@<external_id>@<created_at>",
    # parent_charge_id and the subscription version it belongs to; null on plan charges.
    "charges": [
        ("charge_id", "VARCHAR"),
        ("plan_code", "VARCHAR"),
        ("position", "INTEGER"),  # 0-based order within the plan
        ("billable_metric_code", "VARCHAR"),
        ("charge_model", "VARCHAR"),
        ("properties", "JSON"),  # Lago's properties, verbatim ({} when absent)
        ("pay_in_advance", "BOOLEAN"),
        ("invoiceable", "BOOLEAN"),
        ("prorated", "BOOLEAN"),
        ("min_amount_cents", "BIGINT"),
        ("invoice_display_name", "VARCHAR"),
        ("parent_charge_id", "VARCHAR"),
        ("subscription_external_id", "VARCHAR"),
        ("subscription_created_at", "TIMESTAMP"),
        ("source_file", "VARCHAR"),
    ],
    # values: JSON object {filter key: [values]}; properties: the filter's own charge properties.
    "charge_filters": [
        ("charge_id", "VARCHAR"),
        ("position", "INTEGER"),
        ("values", "JSON"),
        ("properties", "JSON"),
        ("invoice_display_name", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ],
    # Every `tax_codes` list of the catalog, flattened.
    # owner_type: plan | minimum_commitment | charge | add_on | customer
    # owner_id: plan code | plan code | charge_id | add-on code | customer external_id
    "tax_assignments": [
        ("owner_type", "VARCHAR"),
        ("owner_id", "VARCHAR"),
        ("tax_code", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ],
    "add_ons": [
        ("code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("invoice_display_name", "VARCHAR"),
        ("amount_cents", "BIGINT"),
        ("amount_currency", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ],
    "coupons": [
        ("code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("coupon_type", "VARCHAR"),
        ("amount_cents", "BIGINT"),
        ("amount_currency", "VARCHAR"),
        ("percentage_rate", DEC),
        ("frequency", "VARCHAR"),
        ("frequency_duration", "INTEGER"),
        ("expiration", "VARCHAR"),
        ("expiration_at", "TIMESTAMP"),
        ("reusable", "BOOLEAN"),
        ("source_file", "VARCHAR"),
    ],
    # applies_to, flattened. target_type: plan | billable_metric
    "coupon_targets": [
        ("coupon_code", "VARCHAR"),
        ("target_type", "VARCHAR"),
        ("target_code", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ],
    "customers": [
        ("external_id", "VARCHAR"),
        ("name", "VARCHAR"),
        ("email", "VARCHAR"),
        ("currency", "VARCHAR"),
        ("timezone", "VARCHAR"),
        ("net_payment_term", "INTEGER"),
        ("tax_identification_number", "VARCHAR"),
        ("address_line1", "VARCHAR"),
        ("address_line2", "VARCHAR"),
        ("city", "VARCHAR"),
        ("zipcode", "VARCHAR"),
        ("state", "VARCHAR"),
        ("country", "VARCHAR"),
        ("invoice_grace_period", "INTEGER"),
        ("document_locale", "VARCHAR"),
        ("payment_provider", "VARCHAR"),
        ("provider_customer_id", "VARCHAR"),
        ("metadata", "JSON"),
        ("source_file", "VARCHAR"),
    ],
    "subscriptions": [
        ("external_id", "VARCHAR"),
        ("external_customer_id", "VARCHAR"),
        ("plan_code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
        ("subscription_at", "TIMESTAMP"),  # defaults to created_at
        ("ending_at", "TIMESTAMP"),
        ("terminated_at", "TIMESTAMP"),
        ("on_termination_credit_note", "VARCHAR"),
        ("billing_time", "VARCHAR"),  # calendar (default) | anniversary
        ("plan_overrides", "JSON"),  # {} when absent
        # plan_overrides.tax_codes (or taxes[].code): a JSON list replacing the plan's
        # taxes for this subscription; null when not overridden
        ("plan_tax_codes", "JSON"),
        ("source_file", "VARCHAR"),
    ],
    "applied_coupons": [
        ("external_customer_id", "VARCHAR"),
        ("coupon_code", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
        ("amount_cents", "BIGINT"),
        ("amount_currency", "VARCHAR"),
        ("percentage_rate", DEC),
        ("frequency", "VARCHAR"),
        ("frequency_duration", "INTEGER"),
        ("source_file", "VARCHAR"),
    ],
    "wallets": [
        ("external_customer_id", "VARCHAR"),
        ("code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("currency", "VARCHAR"),
        ("rate_amount", DEC),
        ("priority", "INTEGER"),
        ("applies_to_fee_types", "JSON"),  # JSON list, [] = all
        ("applies_to_billable_metric_codes", "JSON"),  # JSON list, [] = all
        ("created_at", "TIMESTAMP"),
        ("expiration_at", "TIMESTAMP"),
        ("granted_credits", DEC),
        ("paid_credits", DEC),
        ("invoice_requires_successful_payment", "BOOLEAN"),
        ("source_file", "VARCHAR"),
    ],
    # A wallet's automatic top-ups (Lago recurring_transaction_rules), one row per rule.
    # trigger interval: credits added on every anniversary of started_at (else the
    # wallet's creation) by `interval`; threshold: when the balance falls to
    # threshold_credits (recorded, not applied yet).
    "wallet_recurring_rules": [
        ("external_customer_id", "VARCHAR"),
        ("wallet_code", "VARCHAR"),
        ("position", "INTEGER"),
        ("trigger", "VARCHAR"),  # interval | threshold
        ("interval", "VARCHAR"),  # weekly | monthly | quarterly | yearly
        ("method", "VARCHAR"),  # fixed (default) | target
        ("paid_credits", DEC),
        ("granted_credits", DEC),
        ("threshold_credits", DEC),
        ("target_ongoing_balance", DEC),
        ("started_at", "TIMESTAMP"),
        ("expiration_at", "TIMESTAMP"),
        ("source_file", "VARCHAR"),
    ],
    "wallet_transactions": [
        ("transaction_id", "VARCHAR"),
        ("external_customer_id", "VARCHAR"),
        ("wallet_code", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
        ("paid_credits", DEC),
        ("granted_credits", DEC),
        ("voided_credits", DEC),
        ("source_file", "VARCHAR"),
    ],
    "one_off_invoices": [
        ("external_id", "VARCHAR"),
        ("external_customer_id", "VARCHAR"),
        ("issuing_date", "DATE"),
        ("currency", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ],
    "one_off_invoice_fees": [
        ("one_off_invoice_external_id", "VARCHAR"),
        ("position", "INTEGER"),
        ("add_on_code", "VARCHAR"),
        ("units", DEC),
        ("unit_amount_cents", DEC),
        ("description", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ],
    # Manual credit notes; the invoice is named by its number or its id (one of them).
    "credit_notes": [
        ("external_id", "VARCHAR"),
        ("invoice_number", "VARCHAR"),
        ("invoice_id", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("credit_amount_cents", "BIGINT"),
        ("refund_amount_cents", "BIGINT"),
        ("created_at", "TIMESTAMP"),
        ("source_file", "VARCHAR"),
    ],
    # Invoices voided (Lago POST /invoices/:id/void): finalized, unpaid invoices the
    # customer no longer owes; they keep their number and rows with status voided.
    "invoice_voids": [
        ("invoice_number", "VARCHAR"),
        ("voided_at", "TIMESTAMP"),
        ("reason", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ],
    # Manual payment status of finalized invoices (Lago PUT /invoices/:id payment_status):
    # the latest update by updated_at, up to the run's as_of, is the invoice's status.
    "payment_status_updates": [
        ("invoice_number", "VARCHAR"),
        ("payment_status", "VARCHAR"),  # pending | succeeded | failed
        ("updated_at", "TIMESTAMP"),
        ("source_file", "VARCHAR"),
    ],
    # The fee lines a manual credit note credits (amounts excluding taxes).
    "credit_note_items": [
        ("credit_note_external_id", "VARCHAR"),
        ("position", "INTEGER"),
        ("fee_id", "VARCHAR"),
        ("amount_cents", "BIGINT"),
        ("source_file", "VARCHAR"),
    ],
    # Every event that parsed, before dedup and catalog checks (dbt does those).
    "events": [
        ("event_date", "DATE"),  # UTC date of `timestamp`: the partition key
        ("transaction_id", "VARCHAR"),
        ("external_subscription_id", "VARCHAR"),
        ("external_customer_id", "VARCHAR"),
        ("code", "VARCHAR"),
        ("timestamp", "TIMESTAMP"),  # UTC
        ("properties", "JSON"),  # {} when absent
        ("precise_total_amount_cents", "VARCHAR"),  # decimal text as sent, or null
        ("received_at", "TIMESTAMP"),  # created_at, else timestamp
        ("source_file", "VARCHAR"),
        ("source_row", "BIGINT"),  # 1-based line / element / row number in the file
    ],
    # The landing that last replaced each event date of raw.events (one row per date with
    # events). int_event_days_summarized hashes again only the dates whose landing or count
    # changed since it last did; a date without a row here (raw.events written by anything
    # but the landing) is hashed on every run.
    "event_landings": [
        ("event_date", "DATE"),
        ("landing_id", "VARCHAR"),  # a new uuid per landing
        ("landed_at", "TIMESTAMP"),  # UTC
    ],
    # Events ingestion could not parse (invalid_json, missing_field, invalid_timestamp).
    # event_date is null when the timestamp itself is unreadable.
    "event_rejects": [
        ("event_date", "DATE"),
        ("transaction_id", "VARCHAR"),
        ("external_subscription_id", "VARCHAR"),
        ("code", "VARCHAR"),
        ("error_code", "VARCHAR"),
        ("error_details", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("source_row", "BIGINT"),
        ("raw_payload", "VARCHAR"),
    ],
}

EVENT_TABLES: tuple[str, ...] = ("events", "event_landings", "event_rejects")
CATALOG_TABLES: tuple[str, ...] = tuple(t for t in RAW_TABLES if t not in EVENT_TABLES)


def create_table_sql(table: str, schema: str = "raw") -> str:
    """`create table if not exists` DDL for one raw table."""
    cols = ",\n    ".join(f'"{name}" {sql_type}' for name, sql_type in RAW_TABLES[table])
    return f"create table if not exists {schema}.{table} (\n    {cols}\n)"


def column_names(table: str) -> list[str]:
    return [name for name, _ in RAW_TABLES[table]]
