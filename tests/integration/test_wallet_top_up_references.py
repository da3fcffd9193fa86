"""A reference by number that a threshold top-up's credit invoice moves fails the run
(tests/fixtures/wallet_top_ups plus one payment status set by hand).

One `billing run` through 2024-04-01. References by number (voids, credit notes, payment
statuses) are resolved before the wallet walk, which cannot know the credit invoices of
threshold top-ups it makes; billing.invoices numbers those in the customer's sequence. For
cu_target, the walk's inputs number its invoices 001 (credit, Jan 10), 002 (Feb 1), 003
(Mar 1), 004 (Apr 1), while billing.invoices shows 004 as the credit invoice of the Mar 1
top-up and the Apr 1 invoice as 005: a status set on WTU-001-004 would settle another
invoice than the one the customer sees, so the run fails naming it
(assert_invoice_references_name_shown_numbers; DECISIONLOG, Automatic wallet top-ups).
"""

from __future__ import annotations

import pytest

from tests.conftest import copy_fixture, run_billing

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def moved_reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("wallet_top_up_references")
    data_dir = copy_fixture("wallet_top_ups", root)
    with (data_dir / "catalog" / "catalog.yaml").open("a") as catalog:
        catalog.write(
            '  - {invoice_number: WTU-001-004, payment_status: succeeded, updated_at: "2024-04-01T12:00:00Z"}\n'
        )
    return run_billing(data_dir, root / "warehouse.duckdb", through="2024-04-01")


def test_a_reference_to_a_number_a_top_up_moved_fails_the_run_naming_it(moved_reference):
    assert moved_reference.returncode != 0
    assert (
        "payment_status_updates[invoice_number=WTU-001-004].invoice_number: this number moved to another "
        "invoice when a threshold top-up's credit invoice took its place in the same run"
    ) in moved_reference.stderr
