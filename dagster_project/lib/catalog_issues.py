"""Catalog errors: each one names the file, the object and the field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogIssue:
    """One broken rule. `identity` is `code=starter` (or the list position when the object has
    no identity yet); `field` is the path inside the object, such as `charges[0].charge_model`.
    File-level problems (unreadable, not a mapping) leave kind, identity and field empty."""

    file: str
    kind: str
    identity: str
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.kind:
            where += f": {self.kind}"
            if self.identity:
                where += f"[{self.identity}]"
            if self.field:
                where += f".{self.field}"
        return f"{where}: {self.message}"


class CatalogError(Exception):
    """The catalog breaks one or more rules; nothing was written. `issues` lists every one."""

    def __init__(self, issues: list[CatalogIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))
