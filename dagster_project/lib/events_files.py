"""Find the event files under `<data_dir>/events` and name them for DuckDB.

Files are listed recursively in sorted order of their path relative to the data
directory (the `source_file` written to `raw.events`), so every run reads them
in the same order. Names starting with `.` or `_` (editor and Spark/Hive
leftovers such as `_SUCCESS` or `_temporary/`) and unknown extensions are not
read; they are reported in `ignored`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FORMAT_BY_SUFFIX = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
}

# DuckDB's readers treat every path in a file list as a glob pattern; a
# bracketed character matches only itself.
_GLOB_ESCAPES = str.maketrans({"[": "[[]", "*": "[*]", "?": "[?]"})


@dataclass(frozen=True)
class EventFile:
    source_file: str  # path relative to the data directory, with `/`
    path: Path  # absolute
    fmt: str  # jsonl | json | parquet
    size: int

    @property
    def pattern(self) -> str:
        """The path as a DuckDB reader pattern that matches exactly this file."""
        return str(self.path).translate(_GLOB_ESCAPES)


@dataclass(frozen=True)
class EventFiles:
    root: Path  # absolute data directory
    jsonl: tuple[EventFile, ...]
    json: tuple[EventFile, ...]
    parquet: tuple[EventFile, ...]
    ignored: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.jsonl) + len(self.json) + len(self.parquet)

    @property
    def path_cut(self) -> int:
        """1-based start of the relative path in a reader's `filename` column."""
        return len(str(self.root).rstrip("/")) + 2


def find_event_files(data_dir: Path) -> EventFiles:
    root = Path(data_dir).resolve()
    by_format: dict[str, list[EventFile]] = {"jsonl": [], "json": [], "parquet": []}
    ignored: list[str] = []
    events_dir = root / "events"
    found = [p for p in events_dir.rglob("*") if p.is_file()] if events_dir.is_dir() else []
    for path in sorted(found, key=lambda p: p.relative_to(root).as_posix()):
        relative = path.relative_to(root)
        fmt = FORMAT_BY_SUFFIX.get(path.suffix.lower())
        hidden = any(part.startswith((".", "_")) for part in relative.parts[1:])
        if fmt is None or hidden:
            ignored.append(relative.as_posix())
            continue
        by_format[fmt].append(EventFile(relative.as_posix(), path, fmt, path.stat().st_size))
    return EventFiles(
        root=root,
        jsonl=tuple(by_format["jsonl"]),
        json=tuple(by_format["json"]),
        parquet=tuple(by_format["parquet"]),
        ignored=tuple(ignored),
    )
