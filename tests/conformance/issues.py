"""THE table: which Lago feature waits for which issue, and so which cases are xfail.

Each converted case lists the features it exercises (the converters detect them
from the case's aggregation_type, charge_model, tags and objects). A case whose
features are all built runs as a plain test; otherwise it is
`xfail(strict=True)` with the title(s) of the issue(s) still missing.

When an issue lands, set its rows in FEATURE_ISSUE to BUILT: its cases then run
as plain tests (and move into the run of supported cases). strict=True makes a
case that passes while still marked xfail a failure, so the table cannot lag
behind the pipeline.
"""

from __future__ import annotations

METERING = (
    "Metering: every Lago aggregation type, recurring metrics, filters and pricing groups, "
    "exact to Lago"
)
PRICING = (
    "Pricing and billing periods: every Lago charge model, every interval, calendar and "
    "anniversary billing, proration, trials, plan changes and minimums"
)
INVOICE_ASSEMBLY = (
    "Invoice assembly: coupons, taxes, prepaid credits, credit notes, one-off invoices, "
    "drafts and finalization, numbering"
)
USAGE_IN_ADVANCE = (
    "Usage in advance and in progress: pay-in-advance charges, current usage, void invoices, "
    "manual payment updates, automatic wallet top-ups"
)
ISSUE_ORDER = (METERING, PRICING, INVOICE_ASSEMBLY, USAGE_IN_ADVANCE)

# Built: a feature mapped to BUILT never makes a case xfail.
BUILT = None

# THE table: feature -> the issue that builds it. When an issue lands, set its rows to BUILT.
FEATURE_ISSUE: dict[str, str | None] = {
    # The foundation (it also built every calendar interval, day-based proration of the
    # subscription fee and the rounding of units: their cases pass)
    "aggregation:count_agg": BUILT,
    "aggregation:sum_agg": BUILT,
    "charge_model:standard": BUILT,
    "interval:monthly": BUILT,
    "interval:yearly": BUILT,
    "interval:weekly": BUILT,
    "interval:quarterly": BUILT,
    "interval:semiannual": BUILT,
    "proration": BUILT,
    "unit_rounding": BUILT,
    # Metering (built: every aggregation type, recurring metrics, filters, pricing groups)
    "aggregation:max_agg": BUILT,
    "aggregation:latest_agg": BUILT,
    "aggregation:unique_count_agg": BUILT,
    "aggregation:weighted_sum_agg": BUILT,
    "recurring_metric": BUILT,
    "metric_filters": BUILT,
    "pricing_groups": BUILT,
    # Pricing and billing periods (built: every charge model, prorated charges, anniversary
    # billing, bill_charges_monthly, customer timezones, trials, plan changes, terminations and
    # their credit notes, charge minimums, minimum commitments)
    "charge_model:graduated": BUILT,
    "charge_model:volume": BUILT,
    "charge_model:package": BUILT,
    "charge_model:percentage": BUILT,
    "charge_model:graduated_percentage": BUILT,
    "charge_model:dynamic": BUILT,
    "prorated_charge": BUILT,
    "anniversary_billing": BUILT,
    "bill_charges_monthly": BUILT,
    "customer_timezone": BUILT,
    "trial": BUILT,
    "plan_change": BUILT,
    "termination": BUILT,
    "charge_min_amount": BUILT,
    "minimum_commitment": BUILT,
    # Invoice assembly (built: coupons, taxes, prepaid credits, credit notes with their taxes,
    # add-on taxes, drafts without coupons/credit notes/wallets, late events picked up by drafts)
    "coupons": BUILT,
    "taxes": BUILT,
    "prepaid_credits": BUILT,
    "credit_notes": BUILT,
    "add_ons": BUILT,
    "one_off_invoices": BUILT,
    "grace_period_drafts": BUILT,
    "late_events": BUILT,
    # An event timestamped at the very instant a subscription is terminated: Lago bills it on
    # the termination invoice (its charges period is inclusive of terminated_at); built: the
    # last period of a version ended inside it takes its end instant (int_events_validated)
    "event_at_termination_instant": BUILT,
    # Usage in advance and in progress (built: pay-in-advance charges, each event billed on
    # its own invoice; the commitment cases count their fees in the true-up)
    "pay_in_advance_charge": BUILT,
}

# Features a case needs that detection cannot see (case id -> extra features).
CASE_FEATURES: dict[str, frozenset[str]] = {
    # its only event is timestamped at terminated_at (2023-02-25T06:00:00Z), billed on the
    # termination invoice (the 800 usage fee)
    "charge_min_amount_true_up_on_termination_with_grace_period": frozenset(
        {"event_at_termination_instant"}
    ),
}

# Features a case names but whose numbers do not depend on them: Lago's expected output is
# what a pipeline without the feature produces too (case id -> features, why).
CASE_UNEXERCISED: dict[str, tuple[frozenset[str], str]] = {}


def case_features(case_id: str, detected: frozenset[str]) -> frozenset[str]:
    unexercised = CASE_UNEXERCISED.get(case_id, (frozenset(), ""))[0]
    features = (detected | CASE_FEATURES.get(case_id, frozenset())) - unexercised
    unknown = sorted(features - FEATURE_ISSUE.keys())
    if unknown:
        raise ValueError(
            f"case {case_id}: unknown feature(s) {unknown}; add them to tests/conformance/issues.py"
        )
    return features


def pending_issues(features: frozenset[str]) -> tuple[str, ...]:
    """The issues still to build for these features, in the order the issues are listed."""
    needed = {FEATURE_ISSUE[feature] for feature in features}
    return tuple(issue for issue in ISSUE_ORDER if issue in needed)


def xfail_reason(features: frozenset[str]) -> str | None:
    """The xfail reason: the issue title, or the titles joined by ' + ' when a case needs several."""
    issues = pending_issues(features)
    return " + ".join(issues) if issues else None
