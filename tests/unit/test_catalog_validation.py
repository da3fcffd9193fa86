"""Catalog rules (CONTRACT §1.1): every broken rule is reported with its file, object and field.

Each test edits one thing in the valid catalog of tests/fixtures/catalog/valid and checks
the exact issue it produces.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dagster_project.lib.catalog import CatalogError, read_catalog

VALID = Path(__file__).parents[1] / "fixtures" / "catalog" / "valid"


def data_dir(
    tmp_path: Path,
    edits: dict[str, list[tuple[str, str]]] | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """A copy of the valid catalog with text replacements in some files and extra files."""
    root = tmp_path / "data"
    shutil.copytree(VALID, root / "catalog")
    for name, replacements in (edits or {}).items():
        path = root / "catalog" / name
        text = path.read_text()
        for old, new in replacements:
            assert old in text, f"fixture {name} no longer contains {old!r}"
            text = text.replace(old, new, 1)
        path.write_text(text)
    for name, text in (files or {}).items():
        (root / "catalog" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "catalog" / name).write_text(text)
    return root


def issues(tmp_path: Path, edits=None, files=None) -> list[str]:
    with pytest.raises(CatalogError) as raised:
        read_catalog(data_dir(tmp_path, edits, files))
    return [str(issue) for issue in raised.value.issues]


def test_the_valid_fixture_catalog_has_no_issues(tmp_path):
    catalog = read_catalog(data_dir(tmp_path))
    assert catalog.warnings == []


# Unknown references ------------------------------------------------------------------------


def test_charge_on_unknown_billable_metric_names_plan_charge_and_field(tmp_path):
    found = issues(
        tmp_path,
        {"plans.yaml": [("billable_metric_code: api_calls", "billable_metric_code: api_call")]},
    )
    assert found == [
        (
            "catalog/plans.yaml: plans[code=starter].charges[0].billable_metric_code: "
            "unknown billable metric 'api_call'; did you mean 'api_calls'?"
        )
    ]


def test_subscription_on_unknown_customer_is_reported(tmp_path):
    found = issues(
        tmp_path,
        {"subscriptions.yaml": [("external_customer_id: globex", "external_customer_id: nobody")]},
    )
    assert found == [
        (
            "catalog/subscriptions.yaml: subscriptions[external_id=sub_globex,created_at=2024-01-05T00:00:00]"
            ".external_customer_id: unknown customer 'nobody'"
        )
    ]


def test_subscription_on_unknown_plan_is_reported(tmp_path):
    found = issues(
        tmp_path, {"subscriptions.yaml": [("plan_code: team_eur", "plan_code: team_gbp")]}
    )
    assert found == [
        (
            "catalog/subscriptions.yaml: subscriptions[external_id=sub_soylent,created_at=2024-01-01T00:00:00]"
            ".plan_code: unknown plan 'team_gbp'"
        )
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "plans.yaml",
            "tax_codes: [vat_20]\n    minimum",
            "tax_codes: [vat_21]\n    minimum",
            "catalog/plans.yaml: plans[code=starter].tax_codes[0]: unknown tax 'vat_21'; did you mean 'vat_20'?",
        ),
        (
            "plans.yaml",
            "tax_codes: [reduced]",
            "tax_codes: [gone]",
            "catalog/plans.yaml: plans[code=starter].minimum_commitment.tax_codes[0]: unknown tax 'gone'",
        ),
        (
            "plans.yaml",
            "tax_codes: [vat_20]\n        properties",
            "taxes: [{code: zero}]\n        properties",
            "catalog/plans.yaml: plans[code=starter].charges[0].taxes[0].code: unknown tax 'zero'",
        ),
        (
            "add_ons.yaml",
            "tax_codes: [vat_20]",
            "tax_codes: [gst]",
            "catalog/add_ons.yaml: add_ons[code=onboarding].tax_codes[0]: unknown tax 'gst'",
        ),
        (
            "customers.yaml",
            "tax_codes: [vat_20]",
            "tax_codes: [vat_20, gst]",
            "catalog/customers.yaml: customers[external_id=acme].tax_codes[1]: unknown tax 'gst'",
        ),
    ],
)
def test_unknown_tax_codes_are_reported_wherever_they_appear(tmp_path, file, old, new, expected):
    assert issues(tmp_path, {file: [(old, new)]}) == [expected]


def test_applied_coupon_on_unknown_customer_and_coupon_reports_both(tmp_path):
    found = issues(
        tmp_path,
        {
            "coupons.yaml": [
                (
                    "  - external_customer_id: acme\n    coupon_code: welcome",
                    "  - external_customer_id: ghost\n    coupon_code: welcom",
                )
            ]
        },
    )
    prefix = "catalog/coupons.yaml: applied_coupons[external_customer_id=ghost,coupon_code=welcom,created_at=2024-01-01T00:00:00]"
    assert found == [
        f"{prefix}.external_customer_id: unknown customer 'ghost'",
        f"{prefix}.coupon_code: unknown coupon 'welcom'; did you mean 'welcome'?",
    ]


def test_wallet_of_unknown_customer_is_reported(tmp_path):
    found = issues(
        tmp_path,
        {
            "wallets.yaml": [
                (
                    "  - external_customer_id: acme\n    code: prepaid",
                    "  - external_customer_id: initech\n    code: prepaid",
                )
            ]
        },
    )
    assert (
        "catalog/wallets.yaml: wallets[external_customer_id=initech,code=prepaid].external_customer_id: "
        "unknown customer 'initech'" in found
    )


def test_wallet_transaction_on_unknown_wallet_is_reported(tmp_path):
    found = issues(tmp_path, {"wallets.yaml": [("wallet_code: prepaid", "wallet_code: promo")]})
    assert found == [
        (
            "catalog/wallets.yaml: wallet_transactions[transaction_id=wt_1].wallet_code: "
            "unknown wallet 'promo' of customer 'acme'"
        )
    ]


def test_one_off_fee_on_unknown_add_on_is_reported(tmp_path):
    found = issues(
        tmp_path, {"one_off_invoices.yaml": [("add_on_code: onboarding", "add_on_code: training")]}
    )
    assert found == [
        (
            "catalog/one_off_invoices.yaml: one_off_invoices[external_id=oneoff_1].fees[0].add_on_code: "
            "unknown add-on 'training'"
        )
    ]


def test_coupon_limited_to_unknown_plan_and_metric_is_reported(tmp_path):
    found = issues(
        tmp_path,
        {
            "coupons.yaml": [
                ("plan_codes: [starter]", "plan_codes: [starter, gold]"),
                ("billable_metric_codes: [api_calls]", "billable_metric_codes: [gpu]"),
            ]
        },
    )
    assert found == [
        "catalog/coupons.yaml: coupons[code=welcome].applies_to.plan_codes[1]: unknown plan 'gold'",
        (
            "catalog/coupons.yaml: coupons[code=ten_off].applies_to.billable_metric_codes[0]: "
            "unknown billable metric 'gpu'"
        ),
    ]


def test_charge_filter_key_must_be_a_filter_of_the_metric(tmp_path):
    found = issues(tmp_path, {"plans.yaml": [("region: [eu]", "regoin: [eu]")]})
    assert found == [
        (
            "catalog/plans.yaml: plans[code=starter].charges[0].filters[0].values.regoin: billable metric "
            "'api_calls' has no filter key 'regoin' (its keys: region); did you mean 'region'?"
        )
    ]


def test_charge_filter_value_must_be_a_value_of_the_metric_filter(tmp_path):
    found = issues(tmp_path, {"plans.yaml": [("region: [eu]", "region: [eu, apac]")]})
    assert found == [
        (
            "catalog/plans.yaml: plans[code=starter].charges[0].filters[0].values.region: 'apac' is not a "
            "value of filter 'region' of billable metric 'api_calls' (allowed: eu, us, or __ALL_FILTER_VALUES__)"
        )
    ]


def test_charge_filter_accepts_lagos_all_values_marker(tmp_path):
    read_catalog(
        data_dir(tmp_path, {"plans.yaml": [("region: [eu]", "region: [__ALL_FILTER_VALUES__]")]})
    )


# Duplicate identities -------------------------------------------------------------------------


def test_duplicate_plan_code_names_both_files(tmp_path):
    found = issues(
        tmp_path,
        files={
            "more/plans_v2.yaml": (
                "plans:\n  - code: starter\n    interval: monthly\n    amount_cents: 5900\n    amount_currency: USD\n"
            )
        },
    )
    # Files are read in path order, so more/plans_v2.yaml comes first and plans.yaml repeats it.
    assert found == [
        (
            "catalog/plans.yaml: plans[code=starter].code: duplicate plan 'starter': "
            "also defined as plans[code=starter] in catalog/more/plans_v2.yaml"
        )
    ]


def test_duplicate_subscription_row_with_same_external_id_and_created_at_is_an_error(tmp_path):
    found = issues(
        tmp_path,
        files={
            "subs_extra.json": (
                '{"subscriptions": [{"external_id": "sub_acme", "external_customer_id": "acme",'
                ' "plan_code": "starter", "created_at": "2024-01-01T01:00:00+01:00"}]}'
            )
        },
    )
    assert found == [
        (
            "catalog/subscriptions.yaml: subscriptions[external_id=sub_acme,created_at=2024-01-01T00:00:00].external_id: "
            "duplicate subscription (external_id=sub_acme,created_at=2024-01-01T00:00:00): also defined as "
            "subscriptions[external_id=sub_acme,created_at=2024-01-01T00:00:00] in catalog/subs_extra.json"
        )
    ]


def test_a_later_subscription_row_is_a_plan_change_not_a_duplicate(tmp_path):
    catalog = read_catalog(
        data_dir(
            tmp_path,
            files={
                "upgrade.yaml": (
                    "subscriptions:\n  - external_id: sub_acme\n    external_customer_id: acme\n"
                    "    plan_code: starter\n    created_at: 2024-03-10T12:00:00Z\n"
                )
            },
        )
    )
    assert [row["external_id"] for row in catalog.rows["subscriptions"]].count("sub_acme") == 2


def test_a_plan_change_cannot_move_a_subscription_to_another_customer(tmp_path):
    found = issues(
        tmp_path,
        files={
            "upgrade.yaml": (
                "subscriptions:\n  - external_id: sub_acme\n    external_customer_id: globex\n"
                "    plan_code: starter\n    created_at: 2024-03-10T12:00:00Z\n"
            )
        },
    )
    assert found == [
        (
            "catalog/upgrade.yaml: subscriptions[external_id=sub_acme,created_at=2024-03-10T12:00:00]"
            ".external_customer_id: subscription 'sub_acme' belongs to customer 'acme' (subscriptions"
            "[external_id=sub_acme,created_at=2024-01-01T00:00:00] in catalog/subscriptions.yaml); "
            "a plan change cannot move it to customer 'globex'"
        )
    ]


def test_duplicate_charge_id_is_reported(tmp_path):
    found = issues(
        tmp_path,
        {
            "plans.yaml": [
                (
                    "  - billable_metric_code: seats",
                    "  - id: ch_api\n        billable_metric_code: seats",
                )
            ]
        },
    )
    assert found == [
        (
            "catalog/plans.yaml: plans[code=team_eur].charges[0].id: duplicate charge 'ch_api': "
            "also defined as plans[code=starter].charges[0] in catalog/plans.yaml"
        )
    ]


def test_organization_defined_twice_names_both_files(tmp_path):
    found = issues(tmp_path, files={"zz_org.yaml": "organization:\n  name: Other\n"})
    assert found == [
        "catalog/zz_org.yaml: organization: defined more than once (also in catalog/organization.yaml)"
    ]


# Bad types ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "plans.yaml",
            "amount_cents: 4900",
            "amount_cents: 49.5",
            "catalog/plans.yaml: plans[code=starter].amount_cents: expected a whole number of cents, got 49.5",
        ),
        (
            "plans.yaml",
            "amount_cents: 4900",
            'amount_cents: "49.00"',
            "catalog/plans.yaml: plans[code=starter].amount_cents: expected a whole number of cents, got '49.00'",
        ),
        (
            "taxes.yaml",
            'rate: "20"',
            "rate: twenty",
            "catalog/taxes.yaml: taxes[code=vat_20].rate: expected a decimal number, got 'twenty'",
        ),
        (
            "plans.yaml",
            'amount: "0.002"',
            'amount: "0,002"',
            (
                "catalog/plans.yaml: plans[code=starter].charges[0].properties.amount: "
                "expected a decimal number, got '0,002'"
            ),
        ),
        (
            "coupons.yaml",
            'created_at: "2024-01-01T00:00:00Z"',
            'created_at: "next tuesday"',
            (
                "catalog/coupons.yaml: applied_coupons[external_customer_id=acme,coupon_code=welcome,"
                "created_at='next tuesday'].created_at: expected an ISO-8601 timestamp, got 'next tuesday'"
            ),
        ),
        (
            "plans.yaml",
            "pay_in_advance: false",
            'pay_in_advance: "no"',
            "catalog/plans.yaml: plans[code=starter].pay_in_advance: expected a boolean (true or false), got 'no'",
        ),
        (
            "plans.yaml",
            "pay_in_advance: false",
            "pay_in_advance: yes",
            "catalog/plans.yaml: plans[code=starter].pay_in_advance: expected a boolean (true or false), got 'yes'",
        ),
        (
            "customers.yaml",
            "tax_codes: [vat_20]",
            "tax_codes: vat_20",
            "catalog/customers.yaml: customers[external_id=acme].tax_codes: expected a list of tax codes, got 'vat_20'",
        ),
        (
            "plans.yaml",
            "charges:\n      - id: ch_api",
            "charges:\n    - billable_metric_code: x\n      charge_model: standard\n    - id: ch_api",
            None,
        ),
        (
            "coupons.yaml",
            "plan_codes: [starter]",
            "plan_codes: starter",
            "catalog/coupons.yaml: coupons[code=welcome].applies_to.plan_codes: expected a list, got 'starter'",
        ),
    ],
)
def test_bad_types_name_the_field_and_what_was_found(tmp_path, file, old, new, expected):
    found = issues(tmp_path, {file: [(old, new)]})
    if expected is None:  # YAML indentation mistake: a parse error with its position
        assert len(found) == 1 and found[0].startswith("catalog/plans.yaml: line ")
    else:
        assert found == [expected]


def test_negative_cents_are_rejected(tmp_path):
    found = issues(tmp_path, {"add_ons.yaml": [("amount_cents: 150000", "amount_cents: -1")]})
    assert found == [
        (
            "catalog/add_ons.yaml: add_ons[code=onboarding].amount_cents: "
            "an amount in cents must not be negative, got -1"
        )
    ]


def test_decimal_with_more_places_than_the_warehouse_keeps_is_rejected(tmp_path):
    found = issues(tmp_path, {"taxes.yaml": [('rate: "20"', 'rate: "20.0000000000001"')]})
    assert found == [
        (
            "catalog/taxes.yaml: taxes[code=vat_20].rate: at most 12 decimal places are supported, "
            "got '20.0000000000001'"
        )
    ]


# Enums ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "location", "bad"),
    [
        (
            "billable_metrics.yaml",
            "aggregation_type: sum_agg",
            "aggregation_type: summ_agg",
            "billable_metrics[code=storage_gb].aggregation_type",
            "summ_agg",
        ),
        (
            "plans.yaml",
            "interval: monthly",
            "interval: month",
            "plans[code=starter].interval",
            "month",
        ),
        (
            "plans.yaml",
            "charge_model: graduated",
            "charge_model: tiered",
            "plans[code=starter].charges[1].charge_model",
            "tiered",
        ),
        (
            "subscriptions.yaml",
            "billing_time: anniversary",
            "billing_time: anniversery",
            "subscriptions[external_id=sub_globex,created_at=2024-01-05T00:00:00].billing_time",
            "anniversery",
        ),
        (
            "coupons.yaml",
            "coupon_type: fixed_amount",
            "coupon_type: fixed",
            "coupons[code=welcome].coupon_type",
            "fixed",
        ),
        (
            "coupons.yaml",
            "frequency: once",
            "frequency: twice",
            "coupons[code=welcome].frequency",
            "twice",
        ),
        (
            "coupons.yaml",
            "expiration: no_expiration",
            "expiration: never",
            "coupons[code=welcome].expiration",
            "never",
        ),
        (
            "billable_metrics.yaml",
            "rounding_function: round",
            "rounding_function: truncate",
            "billable_metrics[code=storage_gb].rounding_function",
            "truncate",
        ),
        (
            "subscriptions.yaml",
            "on_termination_credit_note: credit",
            "on_termination_credit_note: refunded",
            "subscriptions[external_id=sub_soylent,created_at=2024-01-01T00:00:00].on_termination_credit_note",
            "refunded",
        ),
        (
            "customers.yaml",
            "payment_provider: stripe",
            "payment_provider: paypal",
            "customers[external_id=acme].billing_configuration.payment_provider",
            "paypal",
        ),
        (
            "organization.yaml",
            "document_numbering: per_customer",
            "document_numbering: global",
            "organization.document_numbering",
            "global",
        ),
        (
            "organization.yaml",
            "in_advance_charges_invoicing: per_event",
            "in_advance_charges_invoicing: weekly",
            "organization.billing_configuration.in_advance_charges_invoicing",
            "weekly",
        ),
        (
            "billable_metrics.yaml",
            "weighted_interval: seconds",
            "weighted_interval: hours",
            "billable_metrics[code=seats].weighted_interval",
            "hours",
        ),
    ],
)
def test_bad_enum_values_are_reported_with_the_allowed_values(
    tmp_path, file, old, new, location, bad
):
    found = issues(tmp_path, {file: [(old, new)]})
    assert len(found) == 1
    assert found[0].startswith(f"catalog/{file}: {location}: '{bad}' is not one of: ")


def test_bad_enum_suggests_the_intended_value(tmp_path):
    found = issues(
        tmp_path, {"plans.yaml": [("charge_model: graduated", "charge_model: graduatd")]}
    )
    assert found == [
        (
            "catalog/plans.yaml: plans[code=starter].charges[1].charge_model: 'graduatd' is not one of: standard, "
            "graduated, volume, package, percentage, graduated_percentage, dynamic; did you mean 'graduated'?"
        )
    ]


# Required fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "location"),
    [
        ("plans.yaml", "    interval: monthly\n", "", "plans[code=starter].interval"),
        ("plans.yaml", "    amount_cents: 4900\n", "", "plans[code=starter].amount_cents"),
        ("plans.yaml", "    amount_currency: USD\n", "", "plans[code=starter].amount_currency"),
        (
            "plans.yaml",
            "billable_metric_code: storage_gb\n        ",
            "",
            "plans[code=starter].charges[1].billable_metric_code",
        ),
        (
            "plans.yaml",
            "        charge_model: standard\n",
            "",
            "plans[code=starter].charges[0].charge_model",
        ),
        (
            "subscriptions.yaml",
            "external_customer_id: globex\n    ",
            "",
            "subscriptions[external_id=sub_globex,created_at=2024-01-05T00:00:00].external_customer_id",
        ),
        (
            "subscriptions.yaml",
            'plan_code: starter\n    created_at: "2024-01-05',
            'created_at: "2024-01-05',
            "subscriptions[external_id=sub_globex,created_at=2024-01-05T00:00:00].plan_code",
        ),
        ("taxes.yaml", 'rate: "5.5"\n', "", "taxes[code=reduced].rate"),
    ],
)
def test_missing_required_fields_are_reported(tmp_path, file, old, new, location):
    assert issues(tmp_path, {file: [(old, new)]}) == [
        f"catalog/{file}: {location}: required field is missing"
    ]


@pytest.mark.parametrize(
    ("file", "text", "location"),
    [
        (
            "extra_plans.yaml",
            (
                "plans:\n  - name: No code\n    interval: monthly\n    amount_cents: 0\n"
                "    amount_currency: USD\n"
            ),
            "plans[0].code",
        ),
        ("extra_customers.json", '{"customers": [{"name": "No id"}]}', "customers[0].external_id"),
    ],
)
def test_a_missing_identity_is_reported_at_the_objects_position(tmp_path, file, text, location):
    assert issues(tmp_path, files={file: text}) == [
        f"catalog/{file}: {location}: required field is missing"
    ]


@pytest.mark.parametrize(
    "aggregation", ["sum_agg", "max_agg", "unique_count_agg", "weighted_sum_agg", "latest_agg"]
)
def test_field_name_is_required_for_aggregations_that_read_a_property(tmp_path, aggregation):
    found = issues(
        tmp_path,
        {
            "billable_metrics.yaml": [
                (
                    "aggregation_type: sum_agg\n    field_name: gb\n    recurring: true",
                    f"aggregation_type: {aggregation}\n    recurring: false",
                ),
            ]
        },
    )
    assert found == [
        (
            f"catalog/billable_metrics.yaml: billable_metrics[code=storage_gb].field_name: required for a "
            f"{aggregation} metric (the event property it reads)"
        )
    ]


def test_recurring_is_only_allowed_for_sum_unique_count_and_weighted_sum(tmp_path):
    found = issues(
        tmp_path,
        {"billable_metrics.yaml": [("aggregation_type: sum_agg", "aggregation_type: max_agg")]},
    )
    assert found == [
        (
            "catalog/billable_metrics.yaml: billable_metrics[code=storage_gb].recurring: a max_agg metric cannot be "
            "recurring (only sum_agg, unique_count_agg, weighted_sum_agg)"
        )
    ]


def test_coupon_type_decides_which_amount_fields_are_required(tmp_path):
    found = issues(tmp_path, {"coupons.yaml": [('    percentage_rate: "10"\n', "")]})
    assert found == [
        "catalog/coupons.yaml: coupons[code=ten_off].percentage_rate: required for a percentage coupon"
    ]


# Tier ranges ----------------------------------------------------------------------------------

GRADUATED = (
    '- {from_value: 0, to_value: 10, per_unit_amount: "0", flat_amount: "0"}\n'
    '            - {from_value: 11, to_value: null, per_unit_amount: "0.5", flat_amount: "1"}'
)


def graduated(*ranges: tuple) -> str:
    lines = [
        f'- {{from_value: {low}, to_value: {high}, per_unit_amount: "1", flat_amount: "0"}}'
        for low, high in ranges
    ]
    return "\n            ".join(lines)


@pytest.mark.parametrize(
    ("ranges", "field", "message"),
    [
        (
            ((1, 10), (11, "null")),
            "graduated_ranges[0].from_value",
            "the first range must start at 0, got 1",
        ),
        (
            ((0, 10), (12, "null")),
            "graduated_ranges[1].from_value",
            "12 leaves a gap after the previous range, which ends at 10: must be 10 or 11",
        ),
        (
            ((0, 10), (5, "null")),
            "graduated_ranges[1].from_value",
            "5 overlaps the previous range, which ends at 10: must be 10 or 11",
        ),
        (
            ((0, "null"), (11, "null")),
            "graduated_ranges[0].to_value",
            "only the last range may be open-ended (to_value null)",
        ),
        (
            ((0, 10), (11, 20)),
            "graduated_ranges[1].to_value",
            "the last range must be open-ended (to_value null), got 20",
        ),
        (
            ((0, 10), (10, 10), (10, "null")),
            "graduated_ranges[1].to_value",
            "must be greater than from_value (10), got 10",
        ),
    ],
)
def test_graduated_ranges_follow_lagos_bounds_rule(tmp_path, ranges, field, message):
    found = issues(tmp_path, {"plans.yaml": [(GRADUATED, graduated(*ranges))]})
    assert found == [
        f"catalog/plans.yaml: plans[code=starter].charges[1].properties.{field}: {message}"
    ]


@pytest.mark.parametrize(
    "ranges",
    [
        ((0, 10), (11, 20), (21, "null")),  # Lago's standard layout: next from = previous to + 1
        ((0, 10), (10, 20), (20, "null")),  # adjacent: next from = previous to
        ((0, 0.1), (0.1, 1), (1, "null")),  # adjacent decimals (metering-and-pricing.md §5)
        ((0, "null"),),
    ],
)
def test_graduated_ranges_accept_both_layouts_lago_accepts(tmp_path, ranges):
    read_catalog(data_dir(tmp_path, {"plans.yaml": [(GRADUATED, graduated(*ranges))]}))


def test_volume_ranges_with_a_gap_are_reported(tmp_path):
    found = issues(
        tmp_path,
        {"plans.yaml": [("from_value: 101, to_value: null", "from_value: 150, to_value: null")]},
    )
    assert found == [
        (
            "catalog/plans.yaml: plans[code=team_eur].charges[0].properties.volume_ranges[1].from_value: "
            "150 leaves a gap after the previous range, which ends at 100: must be 100 or 101"
        )
    ]


def test_graduated_percentage_ranges_are_checked_in_filters_too(tmp_path):
    found = issues(
        tmp_path,
        {
            "plans.yaml": [
                ("charge_model: standard", "charge_model: graduated_percentage"),
                (
                    'properties:\n          amount: "0.002"',
                    (
                        "properties:\n          graduated_percentage_ranges:\n"
                        '            - {from_value: 0, to_value: null, rate: "1", flat_amount: "0"}'
                    ),
                ),
                (
                    'properties:\n              amount: "0.003"',
                    (
                        "properties:\n              graduated_percentage_ranges:\n"
                        '                - {from_value: 0, to_value: 10, rate: "1", flat_amount: "0"}\n'
                        '                - {from_value: 9, to_value: null, rate: "0.5", flat_amount: "0"}'
                    ),
                ),
            ]
        },
    )
    assert found == [
        (
            "catalog/plans.yaml: plans[code=starter].charges[0].filters[0].properties.graduated_percentage_ranges[1]"
            ".from_value: 9 overlaps the previous range, which ends at 10: must be 10 or 11"
        )
    ]


def test_a_range_model_with_properties_but_no_ranges_is_reported(tmp_path):
    found = issues(tmp_path, {"plans.yaml": [("volume_ranges:", "graduated_ranges:")]})
    assert found == [
        (
            "catalog/plans.yaml: plans[code=team_eur].charges[0].properties.volume_ranges: "
            "required for a volume charge"
        )
    ]


# Currencies -----------------------------------------------------------------------------------


def test_subscription_to_a_plan_in_another_currency_than_the_customer_is_an_error(tmp_path):
    found = issues(
        tmp_path, {"subscriptions.yaml": [("plan_code: starter", "plan_code: team_eur")]}
    )
    assert found == [
        (
            "catalog/subscriptions.yaml: subscriptions[external_id=sub_acme,created_at=2024-01-01T00:00:00].plan_code: "
            "plan 'team_eur' is billed in EUR but customer 'acme' bills in USD "
            "(its currency, customers[external_id=acme].currency in catalog/customers.yaml)"
        )
    ]


def test_customer_without_currency_takes_its_first_subscriptions_currency(tmp_path):
    catalog = read_catalog(data_dir(tmp_path))
    globex = next(row for row in catalog.rows["customers"] if row["external_id"] == "globex")
    assert globex["currency"] == "USD"


def test_two_subscriptions_of_one_customer_in_different_currencies_is_an_error(tmp_path):
    found = issues(
        tmp_path,
        files={
            "globex_eu.yaml": (
                "subscriptions:\n  - external_id: sub_globex_eu\n    external_customer_id: globex\n"
                "    plan_code: team_eur\n    created_at: 2024-02-01T00:00:00Z\n"
            )
        },
    )
    assert found == [
        (
            "catalog/globex_eu.yaml: subscriptions[external_id=sub_globex_eu,created_at=2024-02-01T00:00:00].plan_code: "
            "plan 'team_eur' is billed in EUR but customer 'globex' bills in USD (set by "
            "subscriptions[external_id=sub_globex,created_at=2024-01-05T00:00:00].plan_code in catalog/subscriptions.yaml)"
        )
    ]


def test_plan_override_currency_counts_as_the_subscriptions_currency(tmp_path):
    found = issues(
        tmp_path,
        {
            "subscriptions.yaml": [
                (
                    'plan_code: starter\n    created_at: "2024-01-01',
                    'plan_code: starter\n    plan_overrides:\n      amount_currency: EUR\n    created_at: "2024-01-01',
                )
            ]
        },
    )
    assert found == [
        (
            "catalog/subscriptions.yaml: subscriptions[external_id=sub_acme,created_at=2024-01-01T00:00:00]"
            ".plan_overrides.amount_currency: plan 'starter' is billed in EUR but customer 'acme' bills in USD "
            "(its currency, customers[external_id=acme].currency in catalog/customers.yaml)"
        )
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "location", "what"),
    [
        (
            "wallets.yaml",
            "currency: USD",
            "currency: EUR",
            "wallets[external_customer_id=acme,code=prepaid].currency",
            "wallet 'prepaid' is in EUR",
        ),
        (
            "coupons.yaml",
            "coupon_code: welcome\n    created_at",
            "coupon_code: welcome\n    amount_currency: EUR\n    created_at",
            "applied_coupons[external_customer_id=acme,coupon_code=welcome,created_at=2024-01-01T00:00:00].amount_currency",
            "coupon 'welcome' is an amount in EUR",
        ),
        (
            "one_off_invoices.yaml",
            "currency: USD",
            "currency: EUR",
            "one_off_invoices[external_id=oneoff_1].currency",
            "one-off invoice 'oneoff_1' is in EUR",
        ),
    ],
)
def test_wallet_coupon_and_one_off_currencies_must_match_the_customer(
    tmp_path, file, old, new, location, what
):
    assert issues(tmp_path, {file: [(old, new)]}) == [
        (
            f"catalog/{file}: {location}: {what} but customer 'acme' bills in USD "
            "(its currency, customers[external_id=acme].currency in catalog/customers.yaml)"
        )
    ]


def test_a_percentage_coupon_has_no_currency_to_match(tmp_path):
    read_catalog(
        data_dir(
            tmp_path,
            {"coupons.yaml": [("external_customer_id: soylent", "external_customer_id: acme")]},
        )
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "usd",
            "'usd' is not an ISO 4217 currency code (three capital letters); did you mean 'USD'?",
        ),
        ("XYZ", "'XYZ' is not an ISO 4217 currency code (three capital letters)"),
        ("DOLLARS", "'DOLLARS' is not an ISO 4217 currency code (three capital letters)"),
    ],
)
def test_currencies_must_be_iso_4217_codes(tmp_path, code, expected):
    found = issues(
        tmp_path, {"add_ons.yaml": [("amount_currency: USD", f"amount_currency: {code}")]}
    )
    assert found == [f"catalog/add_ons.yaml: add_ons[code=onboarding].amount_currency: {expected}"]


@pytest.mark.parametrize("code", ["JPY", "KWD", "CHF"])
def test_zero_and_three_decimal_currencies_are_accepted(tmp_path, code):
    catalog = read_catalog(
        data_dir(tmp_path, {"add_ons.yaml": [("amount_currency: USD", f"amount_currency: {code}")]})
    )
    assert catalog.rows["add_ons"][0]["amount_currency"] == code


# Time zones -----------------------------------------------------------------------------------


def test_customer_timezone_must_be_an_iana_name(tmp_path):
    found = issues(
        tmp_path, {"customers.yaml": [("timezone: Europe/Paris", "timezone: Europe/Pariss")]}
    )
    assert found == [
        (
            "catalog/customers.yaml: customers[external_id=soylent].timezone: 'Europe/Pariss' is not an "
            "IANA time zone (such as 'Europe/Paris'); did you mean 'Europe/Paris'?"
        )
    ]


def test_organization_timezone_must_be_an_iana_name(tmp_path):
    found = issues(tmp_path, {"organization.yaml": [("timezone: UTC", "timezone: CEST")]})
    assert len(found) == 1
    assert found[0].startswith(
        "catalog/organization.yaml: organization.timezone: 'CEST' is not an IANA time zone"
    )


# Unreadable files -----------------------------------------------------------------------------


def test_invalid_yaml_names_the_file_and_the_position(tmp_path):
    found = issues(tmp_path, files={"broken.yaml": "plans:\n  - code: x\n    name: [unclosed\n"})
    assert len(found) == 1
    assert found[0].startswith("catalog/broken.yaml: line 4, column 1: invalid YAML:")


def test_invalid_json_names_the_file_and_the_position(tmp_path):
    found = issues(tmp_path, files={"broken.json": '{"plans": [\n  {"code": "x",}\n]}'})
    assert found == [
        (
            "catalog/broken.json: line 2, column 16: invalid JSON: Expecting property name enclosed "
            "in double quotes"
        )
    ]


def test_a_file_that_is_not_a_mapping_names_the_file_and_the_position(tmp_path):
    found = issues(tmp_path, files={"list.yaml": "# plans\n- code: x\n"})
    assert found == [
        (
            "catalog/list.yaml: line 2, column 1: expected a mapping of object kinds "
            "(such as `plans:`), found a list"
        )
    ]


def test_a_kind_that_is_not_a_list_is_reported(tmp_path):
    found = issues(tmp_path, files={"one.yaml": "plans:\n  code: x\n"})
    assert found == ["catalog/one.yaml: plans: expected a list of plans, got a mapping"]


def test_duplicate_yaml_keys_are_an_error_not_last_one_wins(tmp_path):
    found = issues(
        tmp_path,
        {"add_ons.yaml": [("amount_cents: 150000", "amount_cents: 150000\n    amount_cents: 100")]},
    )
    assert found == ["catalog/add_ons.yaml: line 5, column 5: duplicate key 'amount_cents'"]


# Reporting ------------------------------------------------------------------------------------


def test_all_mistakes_are_reported_at_once(tmp_path):
    with pytest.raises(CatalogError) as raised:
        read_catalog(
            data_dir(
                tmp_path,
                {
                    "plans.yaml": [("interval: monthly", "interval: daily")],
                    "subscriptions.yaml": [("plan_code: team_eur", "plan_code: nope")],
                    "taxes.yaml": [('rate: "5.5"', "rate: lots")],
                },
            )
        )
    error = raised.value
    assert [(issue.file, issue.kind, issue.identity, issue.field) for issue in error.issues] == [
        ("catalog/plans.yaml", "plans", "code=starter", "interval"),
        (
            "catalog/subscriptions.yaml",
            "subscriptions",
            "external_id=sub_soylent,created_at=2024-01-01T00:00:00",
            "plan_code",
        ),
        ("catalog/taxes.yaml", "taxes", "code=reduced", "rate"),
    ]
    assert str(error).splitlines() == [str(issue) for issue in error.issues]


def test_a_wallet_without_currency_takes_the_customers(tmp_path):
    catalog = read_catalog(data_dir(tmp_path, {"wallets.yaml": [("    currency: USD\n", "")]}))
    assert catalog.rows["wallets"][0]["currency"] == "USD"


def test_a_wallet_without_currency_for_a_customer_without_one_is_an_error(tmp_path):
    found = issues(
        tmp_path,
        files={
            "initech.yaml": (
                "customers:\n  - external_id: initech\n"
                "wallets:\n  - external_customer_id: initech\n    code: w\n"
            )
        },
    )
    assert found == [
        "catalog/initech.yaml: wallets[external_customer_id=initech,code=w].currency: "
        "required field is missing (the customer has no currency yet)"
    ]


# Manual credit notes -------------------------------------------------------------------------

CREDIT_NOTE = """credit_notes:
  - external_id: cn_1
    invoice_number: RB-001-001
    reason: product_unsatisfactory
    credit_amount_cents: 500
    refund_amount_cents: 0
    created_at: "2024-02-10T00:00:00Z"
    items:
      - fee_id: fee_abc
        amount_cents: 500
"""


def test_a_manual_credit_note_is_read_with_its_items(tmp_path):
    catalog = read_catalog(data_dir(tmp_path, files={"credit_notes.yaml": CREDIT_NOTE}))
    assert catalog.warnings == []
    [note] = catalog.rows["credit_notes"]
    assert (note["external_id"], note["invoice_number"], note["invoice_id"]) == (
        "cn_1",
        "RB-001-001",
        None,
    )
    assert (note["reason"], note["credit_amount_cents"], note["refund_amount_cents"]) == (
        "product_unsatisfactory",
        500,
        0,
    )
    [item] = catalog.rows["credit_note_items"]
    assert (item["credit_note_external_id"], item["fee_id"], item["amount_cents"]) == (
        "cn_1",
        "fee_abc",
        500,
    )


def test_a_credit_note_names_its_invoice_by_number_or_id_not_both(tmp_path):
    both = CREDIT_NOTE.replace(
        "    invoice_number: RB-001-001\n", "    invoice_number: RB-001-001\n    invoice_id: abc\n"
    )
    neither = CREDIT_NOTE.replace("    invoice_number: RB-001-001\n", "")
    assert issues(tmp_path / "both", files={"credit_notes.yaml": both}) == [
        "catalog/credit_notes.yaml: credit_notes[external_id=cn_1].invoice_id: "
        "give either invoice_number or invoice_id, not both"
    ]
    assert issues(tmp_path / "neither", files={"credit_notes.yaml": neither}) == [
        "catalog/credit_notes.yaml: credit_notes[external_id=cn_1].invoice_number: "
        "required field is missing (or give invoice_id)"
    ]


def test_a_credit_note_needs_an_amount_and_a_known_reason(tmp_path):
    text = (
        CREDIT_NOTE.replace("credit_amount_cents: 500", "credit_amount_cents: 0")
        .replace("reason: product_unsatisfactory", "reason: unhappy")
        .replace("        amount_cents: 500", "        amount_cents: 1.5")
    )
    found = issues(tmp_path, files={"credit_notes.yaml": text})
    prefix = "catalog/credit_notes.yaml: credit_notes[external_id=cn_1]."
    fields = sorted(issue.removeprefix(prefix).split(":")[0] for issue in found)
    assert fields == ["credit_amount_cents", "items[0].amount_cents", "reason"]
    assert (
        prefix + "credit_amount_cents: "
        "a credit note needs a credit_amount_cents or refund_amount_cents above 0"
    ) in found


def test_plan_overrides_charges_name_a_charge_of_the_plan_and_keep_its_model(tmp_path):
    found = issues(
        tmp_path,
        files={
            "overrides.yaml": (
                "subscriptions:\n"
                "  - external_id: sub_override\n    external_customer_id: acme\n"
                "    plan_code: starter\n    created_at: '2024-01-01'\n"
                "    plan_overrides:\n"
                "      tax_codes: [no_such_tax]\n"
                "      charges:\n"
                "        - {id: nope, properties: {amount: '1'}}\n"
                "        - {id: ch_api, charge_model: package}\n"
                "        - {id: ch_api}\n"
            )
        },
    )
    where = "catalog/overrides.yaml: subscriptions[external_id=sub_override,created_at=2024-01-01T00:00:00].plan_overrides"
    assert found == [
        f"{where}.charges[2].id: charge 'ch_api' is overridden twice",
        f"{where}.tax_codes[0]: unknown tax 'no_such_tax'",
        f"{where}.charges[0].id: plan 'starter' has no charge 'nope'",
        f"{where}.charges[1].charge_model: plan_overrides cannot change a charge's model: "
        "charge 'ch_api' is standard (Lago keeps the plan charge's model)",
    ]


def test_an_interval_top_up_rule_needs_its_interval(tmp_path):
    found = issues(
        tmp_path,
        files={
            "topups.yaml": (
                "wallets:\n  - external_customer_id: acme\n    code: topped\n    currency: USD\n"
                "    created_at: '2024-01-01'\n"
                "    recurring_transaction_rules:\n"
                "      - {trigger: interval, granted_credits: '10'}\n"
                "      - {trigger: sometimes}\n"
            )
        },
    )
    where = "catalog/topups.yaml: wallets[external_customer_id=acme,code=topped].recurring_transaction_rules"
    assert found == [
        f"{where}[0].interval: required when trigger is interval",
        f"{where}[1].trigger: 'sometimes' is not one of: interval, threshold",
    ]
