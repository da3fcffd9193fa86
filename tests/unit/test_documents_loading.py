"""Invoice data is read with one set-based query per table and grouped by invoice in Python."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.lib.documents.loading import DocumentDataError, load_invoice_documents
from dagster_project.lib.documents.sample import MARKUP_NAME, create_sample_warehouse


class CountingConnection:
    """Records every statement sent to DuckDB."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.statements: list[str] = []

    def execute(self, sql: str, *args):
        self.statements.append(sql)
        return self.con.execute(sql, *args)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return create_sample_warehouse(
        tmp_path_factory.mktemp("documents") / "sample.duckdb", invoices=40
    )


@pytest.fixture(scope="module")
def documents(sample):
    with duckdb.connect(str(sample), read_only=True) as con:
        return {doc["document_id"]: doc for doc in load_invoice_documents(con)}


def _by_number(documents, number):
    return next(doc for doc in documents.values() if doc["number"] == number)


def test_the_number_of_queries_does_not_grow_with_the_number_of_invoices(tmp_path):
    counts = []
    for invoices in (5, 60):
        path = create_sample_warehouse(tmp_path / f"w{invoices}.duckdb", invoices=invoices)
        with duckdb.connect(str(path), read_only=True) as con:
            counting = CountingConnection(con)
            assert len(load_invoice_documents(counting)) == invoices
            counts.append(len(counting.statements))
            assert not any("where" in sql.lower() for sql in counting.statements)
    assert counts[0] == counts[1] <= 12


def test_every_invoice_is_loaded_with_its_totals_as_integers(sample, documents):
    with duckdb.connect(str(sample), read_only=True) as con:
        expected = dict(
            con.execute("select invoice_id, total_amount_cents from billing.invoices").fetchall()
        )
    assert {key: doc["total_amount_cents"] for key, doc in documents.items()} == expected
    assert all(isinstance(doc["total_amount_cents"], int) for doc in documents.values())


def test_fees_are_grouped_in_one_section_per_subscription_with_their_period(documents):
    doc = _by_number(documents, "RB-001-001")
    (section,) = doc["sections"]
    assert section["external_subscription_id"] == "sub_cust_en_starter"
    assert section["fees"][0]["fee_type"] == "subscription"
    assert section["amount_cents"] == doc["fees_amount_cents"]
    assert section["from_datetime"].isoformat() == "2024-01-01T00:00:00"


def test_add_on_fees_of_a_one_off_invoice_stand_apart(documents):
    one_off = next(doc for doc in documents.values() if doc["invoice_type"] == "one_off")
    assert one_off["sections"] == []
    assert [line["description"] for line in one_off["other_fees"]] == [
        "Workshop and data migration"
    ]


def test_pricing_group_values_and_filters_are_kept_for_the_fee_line(documents):
    lines = [line for doc in documents.values() for s in doc["sections"] for line in s["fees"]]
    assert any(line["groups"] == ["aws", "us-east-1"] for line in lines)
    assert any(line["filter"] == "region: eu-west-1" for line in lines)


def test_customer_and_organization_come_from_the_raw_catalog(documents):
    doc = _by_number(documents, "RB-003-001")
    assert doc["customer"]["name"] == "Umbrella GmbH"
    assert doc["customer"]["document_locale"] == "de"
    assert doc["customer"]["metadata"] == [{"key": "PO number", "value": "PO-4711"}]
    assert doc["organization"]["name"] == "Ratebook Cloud Inc."
    assert any(d["customer"]["name"] == MARKUP_NAME for d in documents.values())


def test_coupons_taxes_and_credit_notes_are_attached_to_their_invoice(documents):
    doc = _by_number(documents, "RB-001-001")
    assert [c["code"] for c in doc["coupons"]] == ["welcome_10"]
    assert [n["amount_cents"] for n in doc["credit_notes"]] == [doc["credit_notes_amount_cents"]]
    assert [(t["code"], t["name"]) for t in doc["applied_taxes"]] == [("us_sales", "Sales tax")]


def test_a_warehouse_with_only_the_contract_columns_loads(tmp_path):
    path = create_sample_warehouse(tmp_path / "contract.duckdb", invoices=12, contract_only=True)
    with duckdb.connect(str(path), read_only=True) as con:
        documents = load_invoice_documents(con)
    lines = [line for doc in documents for s in doc["sections"] for line in s["fees"]]
    assert lines and all(line["name"] for line in lines)  # the code stands in for the display name
    taxes = [tax for doc in documents for tax in doc["applied_taxes"]]
    assert taxes and all(tax["name"] == tax["code"] for tax in taxes)


def test_a_missing_contract_column_is_named(tmp_path):
    path = create_sample_warehouse(tmp_path / "broken.duckdb", invoices=3)
    with duckdb.connect(str(path)) as con:
        con.execute("alter table billing.fees drop column units")
    with (
        duckdb.connect(str(path), read_only=True) as con,
        pytest.raises(DocumentDataError, match="billing.fees has no column units"),
    ):
        load_invoice_documents(con)


def test_a_missing_billing_table_is_named(tmp_path):
    path = create_sample_warehouse(tmp_path / "broken.duckdb", invoices=3)
    with duckdb.connect(str(path)) as con:
        con.execute("drop table billing.credits")
    with (
        duckdb.connect(str(path), read_only=True) as con,
        pytest.raises(DocumentDataError, match="billing.credits does not exist"),
    ):
        load_invoice_documents(con)


def test_a_section_is_titled_with_the_subscription_name_else_the_plans_invoice_name(documents):
    titles = {
        section["external_subscription_id"]: section["name"]
        for doc in documents.values()
        for section in doc["sections"]
    }
    assert titles["sub_cust_en_starter"] == "Ratebook Starter"  # no name: the plan's
    assert titles["sub_cust_fr_team"] == "Team · production"
