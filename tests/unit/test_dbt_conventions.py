"""Keeps the dbt project honest (STYLE.md), read from target/manifest.json (`make setup` writes it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

MANIFEST = Path(__file__).resolve().parents[2] / "dbt_project" / "target" / "manifest.json"
PREFIX_BY_FOLDER = {"staging": "stg_", "intermediate": "int_"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def _models(manifest: dict) -> list[dict]:
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]


def test_model_names_carry_the_prefix_of_their_folder(manifest):
    for model in _models(manifest):
        folder = model["path"].split("/")[0]
        prefix = PREFIX_BY_FOLDER.get(folder)
        if prefix:
            assert model["name"].startswith(prefix), f"{model['path']} should be named {prefix}*"


def test_staging_models_read_only_sources(manifest):
    for model in _models(manifest):
        if model["path"].startswith("staging/"):
            parents = model["depends_on"]["nodes"]
            assert parents and all(p.startswith("source.") for p in parents), model["name"]


def test_every_model_and_column_is_documented(manifest):
    for model in _models(manifest):
        assert model["description"].strip(), f"{model['name']} has no description"
        assert model["columns"], f"{model['name']} documents no columns"
        for name, column in model["columns"].items():
            assert column["description"].strip(), f"{model['name']}.{name} has no description"


def test_every_model_has_a_key_test(manifest):
    tested = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test":
            name = node.get("test_metadata", {}).get("name", "")
            if name in ("unique", "unique_combination", "unique_key"):
                tested.update(node["depends_on"]["nodes"])
    for model in _models(manifest):
        assert model["unique_id"] in tested, f"{model['name']} has no uniqueness test"


def test_no_model_joins_seven_or_more_parents(manifest):
    for model in _models(manifest):
        assert len(set(model["depends_on"]["nodes"])) < 7, model["name"]
