"""Reading catalog files (YAML or JSON) into Python values without ever making a float.

YAML is read with a safe loader whose floats are `decimal.Decimal` built from the scalar's
own text, whose booleans are only `true`/`false` (so `country: NO` stays text), and whose
integers with a leading zero stay text (`zipcode: 01234`). JSON is read with
`parse_float=Decimal`. Duplicate keys in a mapping are errors, not a silent "last wins".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from dagster_project.lib.catalog_issues import CatalogIssue

CATALOG_SUFFIXES = (".yaml", ".yml", ".json")

_BOOL_TAG = "tag:yaml.org,2002:bool"
_DECIMAL_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)")


@dataclass(frozen=True)
class CatalogFile:
    """One parsed file: `path` relative to the data directory, `data` its top-level mapping."""

    path: str
    data: dict[str, Any]


# libyaml's parser when installed (much faster on large catalogs), same constructors either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ExactLoader(_SafeLoader):
    """SafeLoader with exact decimals, YAML 1.2 booleans and duplicate-key detection."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[str, yaml.Mark]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    self.duplicate_keys.append((str(key), key_node.start_mark))
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node).replace("_", "")
    special = {".inf": "Infinity", "+.inf": "Infinity", "-.inf": "-Infinity", ".nan": "NaN"}
    if text.lower() in special:
        return Decimal(special[text.lower()])
    if ":" in text:  # YAML 1.1 sexagesimal: keep the text rather than guess
        return loader.construct_scalar(node)
    return Decimal(text)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    if _DECIMAL_INT.fullmatch(text):
        return int(text.replace("_", ""))
    return text  # 01234, 0x1F, 1:30: YAML 1.1 would make numbers of them; keep what was written


_ExactLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
_ExactLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_ExactLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def catalog_paths(catalog_dir: Path) -> list[Path]:
    """Every catalog file under the directory, recursively, in a stable order (hidden ones skipped)."""
    if not catalog_dir.is_dir():
        return []
    found = [
        path
        for path in catalog_dir.rglob("*")
        if path.is_file()
        and path.suffix.lower() in CATALOG_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(catalog_dir).parts)
    ]
    return sorted(found, key=lambda path: path.relative_to(catalog_dir).as_posix())


def read_file(path: Path, relative: str) -> tuple[CatalogFile | None, list[CatalogIssue]]:
    """Parse one file; on failure, issues that name the file and the position."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [_file_issue(relative, f"not UTF-8 text (byte {exc.start}): cannot be read")]
    except OSError as exc:
        return None, [_file_issue(relative, f"cannot be read: {exc.strerror}")]
    if path.suffix.lower() == ".json":
        return _parse_json(text, relative)
    return _parse_yaml(text, relative)


def _parse_yaml(text: str, relative: str) -> tuple[CatalogFile | None, list[CatalogIssue]]:
    loader = _ExactLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return CatalogFile(relative, {}), []
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        return None, [_file_issue(relative, f"{where}invalid YAML: {problem}")]
    except yaml.YAMLError as exc:
        return None, [_file_issue(relative, f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    issues = [
        _file_issue(
            relative, f"line {mark.line + 1}, column {mark.column + 1}: duplicate key '{key}'"
        )
        for key, mark in loader.duplicate_keys
    ]
    if not isinstance(data, dict):
        mark = node.start_mark
        issues.append(
            _file_issue(
                relative,
                f"line {mark.line + 1}, column {mark.column + 1}: "
                f"expected a mapping of object kinds (such as `plans:`), found {_kind_of(data)}",
            )
        )
        return None, issues
    return CatalogFile(relative, data), issues


def _parse_json(text: str, relative: str) -> tuple[CatalogFile | None, list[CatalogIssue]]:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict:
        result: dict = {}
        for key, value in items:
            if key in result:
                duplicates.append(key)
            result[key] = value
        return result

    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    if not text.strip():
        return CatalogFile(relative, {}), []
    try:
        data = json.loads(
            text, parse_float=Decimal, parse_constant=reject_constant, object_pairs_hook=pairs
        )
    except json.JSONDecodeError as exc:
        return None, [
            _file_issue(relative, f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}")
        ]
    except ValueError as exc:
        return None, [_file_issue(relative, f"invalid JSON: {exc}")]
    issues = [
        _file_issue(relative, f"duplicate key '{key}' in a JSON object") for key in duplicates
    ]
    if not isinstance(data, dict):
        offset = len(text) - len(text.lstrip())
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        issues.append(
            _file_issue(
                relative,
                f"line {line}, column {column}: "
                f'expected a mapping of object kinds (such as `"plans":`), found {_kind_of(data)}',
            )
        )
        return None, issues
    return CatalogFile(relative, data), issues


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return f"a {type(value).__name__}" if value is not None else "nothing"


def _file_issue(relative: str, message: str) -> CatalogIssue:
    return CatalogIssue(file=relative, kind="", identity="", field="", message=message)
