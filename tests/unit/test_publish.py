"""The readers' copy: whole schemas, atomically swapped, a reader keeps what it opened."""

from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.publish import TEMP_SUFFIX, publish, published_path_for


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema billing; create schema analytics; create schema payments; create schema raw")
        con.execute("create table billing.invoices (id varchar, total_amount_cents bigint)")
        con.execute("insert into billing.invoices values ('i1', 1103), ('i2', 5070)")
        con.execute("comment on table billing.invoices is 'One row per invoice.'")
        con.execute("comment on column billing.invoices.total_amount_cents is 'Total due, minor units.'")
        con.execute("create table payments.payments (invoice_id varchar, status varchar)")
        con.execute("insert into payments.payments values ('i1', 'succeeded')")
        con.execute(
            "create view payments.invoice_payment_status as "
            "select invoice_id, status as payment_status from payments.payments"
        )
        con.execute("create table raw.events (id varchar)")
    return path


def _publish(warehouse: Path, target: Path):
    with duckdb.connect(str(warehouse)) as con:
        return publish(con, target)


def test_the_default_copy_sits_beside_the_warehouse():
    assert published_path_for(Path("/d/warehouse.duckdb")) == Path("/d/warehouse_published.duckdb")


def test_it_copies_the_published_schemas_views_as_tables_and_not_raw(warehouse, tmp_path):
    target = tmp_path / "published.duckdb"
    result = _publish(warehouse, target)
    assert result.rows_by_table == {
        "billing.invoices": 2,
        "payments.invoice_payment_status": 1,
        "payments.payments": 1,
    }
    assert result.missing_schemas == ["analytics"]
    with duckdb.connect(str(target), read_only=True) as reader:
        assert reader.execute("select sum(total_amount_cents) from billing.invoices").fetchone() == (6173,)
        kinds = reader.execute(
            "select table_schema || '.' || table_name, table_type from information_schema.tables order by 1"
        ).fetchall()
        assert kinds == [
            ("billing.invoices", "BASE TABLE"),
            ("payments.invoice_payment_status", "BASE TABLE"),
            ("payments.payments", "BASE TABLE"),
        ]
        assert reader.execute(
            "select comment from duckdb_tables() where table_name = 'invoices'"
        ).fetchone() == ("One row per invoice.",)
        assert reader.execute(
            "select comment from duckdb_columns() where column_name = 'total_amount_cents'"
        ).fetchone() == ("Total due, minor units.",)
    assert not target.with_name(target.name + TEMP_SUFFIX).exists()


def test_a_reader_keeps_the_state_it_opened_until_it_reconnects(warehouse, tmp_path):
    target = tmp_path / "published.duckdb"
    _publish(warehouse, target)
    reader = duckdb.connect(str(target), read_only=True)
    try:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("insert into billing.invoices values ('i3', 100)")
        _publish(warehouse, target)
        # The open reader still sees the copy it opened: 1103 + 5070.
        assert reader.execute("select sum(total_amount_cents) from billing.invoices").fetchone() == (6173,)
    finally:
        reader.close()
    with duckdb.connect(str(target), read_only=True) as fresh:
        # A new connection sees the new copy: 6173 + 100.
        assert fresh.execute("select sum(total_amount_cents) from billing.invoices").fetchone() == (6273,)


def test_a_leftover_from_a_killed_publish_is_replaced(warehouse, tmp_path):
    target = tmp_path / "published.duckdb"
    target.with_name(target.name + TEMP_SUFFIX).write_bytes(b"half written by a killed run")
    _publish(warehouse, target)
    with duckdb.connect(str(target), read_only=True) as reader:
        assert reader.execute("select count(*) from billing.invoices").fetchone() == (2,)
