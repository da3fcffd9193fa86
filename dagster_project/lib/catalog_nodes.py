"""Walking one catalog object: typed field access that records issues instead of raising."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dagster_project.lib.catalog_issues import CatalogIssue
from dagster_project.lib.catalog_values import BadValue, show, suggest


@dataclass(frozen=True)
class Ref:
    """A reference from a field to another catalog object, checked once everything is read."""

    node: Node
    field: str
    target: str  # a catalog kind, e.g. "taxes"
    key: tuple
    message: str  # said when the target does not exist


@dataclass
class Sink:
    """Everything found while reading: errors, warnings (grouped) and references to check."""

    issues: list[CatalogIssue] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    _warnings: dict[tuple[str, str, str], list] = field(default_factory=dict)

    def warn(self, file: str, template: str, key: str, message: str) -> None:
        group = self._warnings.setdefault((file, template, key), [message, 0])
        group[1] += 1

    def warnings(self) -> list[str]:
        result = []
        for message, count in self._warnings.values():
            more = f" (and {count - 1} more like it in this file)" if count > 1 else ""
            result.append(message + more)
        return result


class Node:
    """One mapping inside a catalog file, located by file, kind, identity and path."""

    def __init__(
        self, sink: Sink, file: str, kind: str, identity: str, path: str, data: dict
    ) -> None:
        self.sink = sink
        self.file = file
        self.kind = kind
        self.identity = identity
        self.path = path
        self.data = data

    def at(self, name: str) -> str:
        """The field path of `name` within the object."""
        if not name:
            return self.path
        if name.startswith("["):
            return self.path + name
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, message: str) -> None:
        self.sink.issues.append(
            CatalogIssue(self.file, self.kind, self.identity, self.at(name), message)
        )

    def location(self, name: str = "") -> str:
        """`catalog/plans.yaml: plans[code=starter].charges[0]`, as an issue starts."""
        return f"{self.file}: {self.describe(name, with_file=False)}"

    def describe(self, name: str = "", *, with_file: bool = True) -> str:
        """`plans[code=starter].charges[0] in catalog/plans.yaml`, to name another object."""
        path = self.at(name)
        text = f"{self.kind}[{self.identity}]" + (f".{path}" if path else "")
        return f"{text} in {self.file}" if with_file else text

    def has_issue(self, name: str) -> bool:
        """Whether the field already has an issue (so a second one is not piled on)."""
        return any(
            (issue.file, issue.kind, issue.identity, issue.field)
            == (self.file, self.kind, self.identity, self.at(name))
            for issue in self.sink.issues
        )

    def present(self, name: str) -> bool:
        return self.data.get(name) is not None

    def get(
        self,
        name: str,
        coerce: Callable[[Any], Any],
        *,
        required: bool = False,
        aliases: Iterable[str] = (),
    ) -> Any:
        """The field's value coerced, or None (absent, null, or wrong: then an issue is recorded)."""
        for candidate in (name, *aliases):
            raw = self.data.get(candidate)
            if raw is not None:
                try:
                    return coerce(raw)
                except BadValue as exc:
                    self.error(candidate, str(exc))
                    return None
        if required:
            self.error(name, "required field is missing")
        return None

    def child(self, name: str) -> Node | None:
        """The nested mapping under `name`, or None when absent (an issue when not a mapping)."""
        raw = self.data.get(name)
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.error(name, f"expected a mapping, got {show(raw)}")
            return None
        return Node(self.sink, self.file, self.kind, self.identity, self.at(name), raw)

    def children(self, name: str) -> list[tuple[int, Node]]:
        """(position, node) for each mapping in the list under `name`."""
        raw = self.data.get(name)
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.error(name, f"expected a list, got {show(raw)}")
            return []
        result = []
        for position, item in enumerate(raw):
            if isinstance(item, dict):
                path = self.at(f"{name}[{position}]")
                result.append(
                    (position, Node(self.sink, self.file, self.kind, self.identity, path, item))
                )
            else:
                self.error(f"{name}[{position}]", f"expected a mapping, got {show(item)}")
        return result

    def ref(self, name: str, target: str, key: tuple, message: str) -> None:
        self.sink.refs.append(Ref(self, name, target, key, message))

    def check_keys(self, known: Iterable[str], ignored: Iterable[str] = ()) -> None:
        """Warn about keys we do not read. Lago's read-only fields (ids, counts, timestamps) in
        `ignored` pass silently, and so do unknown keys whose value is empty (null, [], {})."""
        known = frozenset(known)
        ignored = frozenset(ignored)
        for key, value in self.data.items():
            key = str(key)
            if key in known or key in ignored or value in (None, [], {}):
                continue
            close = suggest(key, known)
            if close:
                message = (
                    f"{self.location(key)}: unknown field '{key}' ignored; did you mean '{close}'?"
                )
            else:
                message = f"{self.location(key)}: unknown field '{key}' ignored"
            template = re.sub(r"\[\d+\]", "[]", self.path)
            self.sink.warn(self.file, f"{self.kind}.{template}", key, message)


def tax_codes(node: Node, name: str = "tax_codes") -> list[tuple[str, str]]:
    """(field path, code) for `tax_codes: [..]` or Lago's `taxes: [{code: ..}]` (each a reference)."""
    found: list[tuple[str, str]] = []
    if node.present(name):
        codes = node.data[name]
        if not isinstance(codes, list):
            node.error(name, f"expected a list of tax codes, got {show(codes)}")
            return []
        for position, code in enumerate(codes):
            if isinstance(code, str) and code:
                found.append((f"{name}[{position}]", code))
            else:
                node.error(f"{name}[{position}]", f"expected a tax code, got {show(code)}")
    elif node.present("taxes"):
        taxes = node.data["taxes"]
        if not isinstance(taxes, list):
            node.error("taxes", f"expected a list of taxes, got {show(taxes)}")
            return []
        for position, tax in enumerate(taxes):
            code = tax.get("code") if isinstance(tax, dict) else tax
            if isinstance(code, str) and code:
                suffix = ".code" if isinstance(tax, dict) else ""
                found.append((f"taxes[{position}]{suffix}", code))
            else:
                node.error(
                    f"taxes[{position}]", f"expected a tax code or {{code: ..}}, got {show(tax)}"
                )
    for path, code in found:
        node.ref(path, "taxes", (code,), f"unknown tax '{code}'")
    return found
