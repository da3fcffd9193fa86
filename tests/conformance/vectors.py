"""Loads Lago's test vectors (the copies in tests/fixtures/lago) without floats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

VECTORS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "lago"
FILES = {
    "aggregation": "aggregations.json",
    "charge_model": "charge_models.json",
    "invoice": "invoices.json",
}


def load(kind: str, directory: Path = VECTORS_DIR) -> list[dict]:
    """The cases of one vector file; JSON numbers with a fraction become Decimal."""
    with open(directory / FILES[kind], encoding="utf-8") as handle:
        cases = json.load(handle, parse_float=Decimal)
    ids = [case["id"] for case in cases]
    duplicates = sorted({case_id for case_id in ids if ids.count(case_id) > 1})
    if duplicates:
        raise ValueError(f"{FILES[kind]}: duplicate case ids {duplicates}")
    return cases


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant of the vectors as an aware UTC datetime (naive means UTC)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def decimal(value: object) -> Decimal:
    """A vector number (int, Decimal or decimal text) as an exact Decimal."""
    if isinstance(value, float):  # never produced by load(); refuse rather than round silently
        raise TypeError(f"float {value!r} in a vector: load with parse_float=Decimal")
    return Decimal(str(value))
