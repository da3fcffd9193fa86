"""Which documents need rendering: content hashes kept in a JSON manifest.

The manifest (`.documents-manifest.json` in the output directory) maps each
document id to the file stem it was written as and the hash of what it showed.
A document is rendered again only when that hash changes (its data, its
language, the logo, or the templates, labels and formatting code), when its
file name changes (a draft becoming a numbered invoice), or when a file is
missing. The manifest lives beside the files it describes, so copying or
deleting the output directory keeps the two consistent, and rendering never
writes to the warehouse (DuckDB has one writer: dbt).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

MANIFEST_NAME = ".documents-manifest.json"
MANIFEST_VERSION = 1
EXTENSIONS = (".html", ".pdf")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def content_hash(document: dict, fingerprint: str) -> str:
    """SHA-256 of everything the document shows plus the renderer's own fingerprint."""
    payload = json.dumps(document, sort_keys=True, default=_json_default, ensure_ascii=False)
    return hashlib.sha256(f"{fingerprint}\n{payload}".encode()).hexdigest()


def renderer_fingerprint(*paths: Path, extra: tuple[str, ...] = ()) -> str:
    """Hash of the files (or every file of the folders) that shape a document, and versions."""
    digest = hashlib.sha256()
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()


def file_stem(document: dict) -> str:
    """`{number}` (CONTRACT §3). Drafts all carry `<prefix>-DRAFT`, so theirs get the id too."""
    stem = _UNSAFE.sub("_", str(document["number"] or "document")).strip("._") or "document"
    if document.get("status") == "draft":
        stem = f"{stem}-{document['document_id'][:8]}"
    return stem


@dataclass
class Plan:
    """What a run does: documents to render, stale files to delete, the manifest to keep."""

    render: list[tuple[dict, str]] = field(default_factory=list)  # (document, stem)
    skipped: int = 0
    delete: list[Path] = field(default_factory=list)
    kept_missing: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    entries: dict[str, dict] = field(default_factory=dict)


def read_manifest(output_dir: Path) -> dict[str, dict]:
    path = output_dir / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}  # unreadable: everything is rendered again
    if content.get("version") != MANIFEST_VERSION:
        return {}
    return content.get("documents", {})


def write_manifest(output_dir: Path, entries: dict[str, dict]) -> None:
    """Atomically: a crash leaves the previous manifest, so the next run redoes the work."""
    path = output_dir / MANIFEST_NAME
    partial = path.with_name(f"{path.name}.partial")
    partial.write_text(
        json.dumps({"version": MANIFEST_VERSION, "documents": entries}, indent=1, sort_keys=True),
        encoding="utf-8",
    )
    os.replace(partial, path)


def _key(document: dict) -> str:
    return f"{document['kind']}:{document['document_id']}"


def plan(
    documents: list[dict],
    hashes: dict[str, str],
    previous: dict[str, dict],
    output_dir: Path,
    force: bool = False,
) -> Plan:
    """Decides, document by document, whether to render (see the module docstring).

    A document that has left the warehouse is forgotten and its files deleted when it
    was a draft; a finalized document's files are never deleted (it is a legal record)."""
    result = Plan()
    stems = {_key(document): file_stem(document) for document in documents}
    counts = Counter(stems.values())
    for document in documents:
        key = _key(document)
        stem = stems[key]
        if counts[stem] > 1:  # two documents with one number: keep both, tell the operator
            result.duplicates.append(stem)
            stem = f"{stem}-{document['document_id'][:8]}"
        content = hashes[key]
        entry = {
            "stem": stem,
            "hash": content,
            "status": document.get("status"),
            "kind": document["kind"],
        }
        before = previous.get(key)
        files_present = all((output_dir / f"{stem}{ext}").is_file() for ext in EXTENSIONS)
        unchanged = (
            before is not None and before.get("hash") == content and before.get("stem") == stem
        )
        if unchanged and files_present and not force:
            result.skipped += 1
        else:
            result.render.append((document, stem))
        if before is not None and before.get("stem") not in (None, stem):
            result.delete += [output_dir / f"{before['stem']}{ext}" for ext in EXTENSIONS]
        result.entries[key] = entry
    for key, before in previous.items():
        if key in result.entries:
            continue
        if before.get("status") == "draft":
            result.delete += [output_dir / f"{before['stem']}{ext}" for ext in EXTENSIONS]
        else:
            result.kept_missing.append(before.get("stem", key))
            result.entries[key] = before
    result.duplicates = sorted(set(result.duplicates))
    # Never delete a file another document is about to be written as.
    targets = {entry["stem"] for entry in result.entries.values()}
    result.delete = [path for path in result.delete if path.stem not in targets]
    return result
