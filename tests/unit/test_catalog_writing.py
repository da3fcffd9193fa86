"""write_catalog: the raw catalog tables replaced in one transaction, values exact."""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.catalog import Catalog, read_catalog, write_catalog
from dagster_project.lib.raw_schema import CATALOG_TABLES, column_names

VALID = Path(__file__).parents[1] / "fixtures" / "catalog" / "valid"


@pytest.fixture
def catalog(tmp_path) -> Catalog:
    shutil.copytree(VALID, tmp_path / "catalog")
    return read_catalog(tmp_path)


@pytest.fixture
def con():
    connection = duckdb.connect(":memory:")
    yield connection
    connection.close()


def test_write_catalog_round_trips_counts_and_values(con, catalog):
    counts = write_catalog(con, catalog)
    assert counts == {table: len(catalog.rows[table]) for table in CATALOG_TABLES}
    for table in CATALOG_TABLES:
        columns = ", ".join(f'"{name}"' for name in column_names(table))
        stored = con.execute(f"select {columns} from raw.{table}").fetchall()
        expected = [tuple(row.values()) for row in catalog.rows[table]]
        assert sorted(map(comparable, stored)) == sorted(map(comparable, expected)), table


def comparable(row: tuple) -> str:
    """A row as text, DECIMAL(38, 12) trailing zeros dropped (5.500000000000 is 5.5)."""
    return repr(tuple(value.normalize() if isinstance(value, Decimal) else value for value in row))


def test_decimals_arrive_as_exact_decimal_columns(con, tmp_path):
    # 0.1 + 0.2 is 0.30000000000000004 in binary floating point; it must stay 0.3.
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "taxes.yaml").write_text(
        'taxes:\n  - code: a\n    rate: 0.1\n  - code: b\n    rate: "0.2"\n  - code: c\n    rate: 0.000000000001\n'
    )
    write_catalog(con, read_catalog(tmp_path))
    total, column_type = con.execute(
        "select sum(rate) filter (where code in ('a', 'b')), any_value(typeof(rate)) from raw.taxes"
    ).fetchone()
    assert total == Decimal("0.3") and column_type == "DECIMAL(38,12)"
    assert con.execute("select rate from raw.taxes where code = 'c'").fetchone()[0] == Decimal(
        "1E-12"
    )


def test_json_columns_hold_lagos_properties_with_exact_numbers(con, catalog):
    write_catalog(con, catalog)
    amount, filter_values = con.execute(
        """
        select charges.properties ->> 'amount', charge_filters.values ->> '$.region[0]'
        from raw.charges
        inner join raw.charge_filters on charge_filters.charge_id = charges.charge_id
        where charges.charge_id = 'ch_api'
        """
    ).fetchone()
    assert (amount, filter_values) == ("0.002", "eu")


def test_timestamps_and_dates_arrive_typed(con, catalog):
    write_catalog(con, catalog)
    created_at, issuing_date = con.execute(
        "select (select created_at from raw.subscriptions where external_id = 'sub_acme'),"
        " (select issuing_date from raw.one_off_invoices)"
    ).fetchone()
    assert created_at == datetime(2024, 1, 1) and str(issuing_date) == "2024-01-15"


def test_writing_twice_replaces_rather_than_appends(con, catalog):
    write_catalog(con, catalog)
    counts = write_catalog(con, catalog)
    assert con.execute("select count(*) from raw.plans").fetchone()[0] == counts["plans"] == 2


def test_a_failed_write_leaves_the_previous_catalog_in_place(con, catalog):
    write_catalog(con, catalog)
    broken = Catalog(rows={table: list(rows) for table, rows in catalog.rows.items()})
    broken.rows["plans"] = [dict(catalog.rows["plans"][0], amount_cents="not a number")]
    broken.rows["taxes"] = []
    with pytest.raises(duckdb.Error):
        write_catalog(con, broken)
    assert con.execute("select count(*) from raw.taxes").fetchone()[0] == 2
    assert con.execute("select count(*) from raw.plans").fetchone()[0] == 2


def test_an_empty_catalog_still_writes_every_table_and_the_organization(con, tmp_path):
    counts = write_catalog(con, read_catalog(tmp_path))
    assert counts == {table: int(table == "organization") for table in CATALOG_TABLES}
    assert con.execute("select default_currency, timezone from raw.organization").fetchone() == (
        "USD",
        "UTC",
    )
