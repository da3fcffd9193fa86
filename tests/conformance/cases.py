"""Every vector case, converted once per session (pure: no pipeline)."""

from __future__ import annotations

from functools import cache

from tests.conformance import vectors
from tests.conformance.case import ConvertedCase
from tests.conformance.convert_invoices import convert_invoice
from tests.conformance.convert_units import convert_aggregation, convert_charge_model
from tests.conformance.datadir import RunGroup, group_cases

CONVERTERS = {
    "aggregation": convert_aggregation,
    "charge_model": convert_charge_model,
    "invoice": convert_invoice,
}


@cache
def converted(kind: str) -> tuple[ConvertedCase, ...]:
    return tuple(CONVERTERS[kind](case) for case in vectors.load(kind))


@cache
def all_cases() -> tuple[ConvertedCase, ...]:
    return tuple(case for kind in CONVERTERS for case in converted(kind))


@cache
def run_groups() -> tuple[RunGroup, ...]:
    return tuple(group_cases(list(all_cases())))


def group_of(case_id: str) -> RunGroup:
    for group in run_groups():
        if any(case.case_id == case_id for case in group.cases):
            return group
    raise KeyError(case_id)
