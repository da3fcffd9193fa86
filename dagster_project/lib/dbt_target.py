"""dbt's target folder: its saved parse reused across warehouses, old invocations pruned.

**The saved parse.**
dbt saves its parse of the project (`partial_parse.msgpack` in the target folder) and, on the
next invocation, parses only the files that changed since. It throws the saved parse away
and parses everything again (about 5 s of every `billing run`) when the profile differs
from the one the parse was made with, and the warehouse path is part of the profile: every
run into a warehouse other than the one `make manifest` parsed for (`billing run
--warehouse`, the benchmark's warehouses, each test's) paid it.

Our project's parse does not depend on the warehouse path: no model or macro reads
`target.path` (tests/unit/test_dbt_parse_reuse.py checks), and the database name dbt derives
from the file name stays part of the key below. So after each dbt invocation the parse is
kept under a key of the profile without its path, and the next invocation whose profile
differs only in the path starts from it, marked as made with the current profile. Every
other check of dbt's (dbt's version, vars, environment variables of dbt_project.yml, the
checksum of each file) still applies. When anything here fails, dbt parses in full, as
before: slower, never wrong.

**Pruning.** dagster-dbt gives every invocation its own folder, `target/billing_models-<run>-
<random>` (compiled SQL, logs, run_results.json: about 26 MB): a nightly schedule would pile
up 9 GB a year. After each run the oldest are deleted, keeping the newest `KEEP_INVOCATIONS`
and any folder written in the last hour (a run still going).
"""

from __future__ import annotations

import hashlib
import os
import pprint
import shutil
import tempfile
import time
from argparse import Namespace
from pathlib import Path
from typing import Any

import msgpack

PARSE_FILE = "partial_parse.msgpack"
INVOCATION_PREFIX = "billing_models-"
KEEP_INVOCATIONS = 20
RECENT_SECONDS = 3600


def profile_connection(project_dir: Path) -> list[tuple[str, Any]]:
    """The dbt profile's connection settings as dbt itself renders them for this process's
    environment (`BILLING_WAREHOUSE`, `RATEBOOK_DUCKDB_MEMORY_LIMIT`), sorted as dbt sorts
    them for its check."""
    from dbt.config.runtime import load_profile
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    set_invocation_context(os.environ.copy())
    set_from_args(Namespace(profiles_dir=str(project_dir)), None)
    profile = load_profile(str(project_dir), {}, None, None)
    return sorted(profile.credentials.connection_info())


def dbt_profile_hash(connection: list[tuple[str, Any]]) -> str:
    """What dbt stores as `state_check.profile_hash` (dbt/parser/manifest.py,
    `build_manifest_state_check`): the sha256 of the sorted connection settings, printed."""
    return hashlib.sha256(pprint.pformat(connection).encode("utf-8")).hexdigest()


def reuse_key(connection: list[tuple[str, Any]]) -> str:
    """The profile without the warehouse path: two invocations with the same key parse the
    project the same way."""
    without_path = [(key, "<warehouse>" if key == "path" else value) for key, value in connection]
    return dbt_profile_hash(without_path)[:16]


def kept_parse(cache_dir: Path, connection: list[tuple[str, Any]]) -> Path:
    return cache_dir / f"{reuse_key(connection)}.msgpack"


def seed(target_path: Path, cache_dir: Path, connection: list[tuple[str, Any]]) -> Path | None:
    """Puts the kept parse for this profile into `target_path`, marked as made with the current
    profile. Returns the file it came from, or None when there is none yet."""
    source = kept_parse(cache_dir, connection)
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        return None
    saved = msgpack.unpackb(raw, raw=False, strict_map_key=False)
    saved["state_check"]["profile_hash"] = {
        "name": "sha256",
        "checksum": dbt_profile_hash(connection),
    }
    target_path.mkdir(parents=True, exist_ok=True)
    (target_path / PARSE_FILE).write_bytes(msgpack.packb(saved, use_bin_type=True))
    return source


def keep(target_path: Path, cache_dir: Path, connection: list[tuple[str, Any]]) -> Path | None:
    """Keeps the parse dbt wrote into `target_path` for the next invocation (replaced at once,
    so that a run starting meanwhile reads the old file or the new one, never half of one).
    Returns the kept file, or None when dbt wrote none (it failed before parsing)."""
    written = target_path / PARSE_FILE
    if not written.exists():
        return None
    destination = kept_parse(cache_dir, connection)
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(written.read_bytes())
    os.replace(temporary, destination)
    return destination


def prune_invocations(
    target_dir: Path, keep: int = KEEP_INVOCATIONS, recent_seconds: float = RECENT_SECONDS
) -> list[Path]:
    """Deletes the invocation folders beyond the newest `keep` that were last written more than
    `recent_seconds` ago. Returns the deleted folders."""
    folders = sorted(
        (path for path in target_dir.glob(f"{INVOCATION_PREFIX}*") if path.is_dir()),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    cutoff = time.time() - recent_seconds
    deleted = []
    for folder in folders[keep:]:
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            deleted.append(folder)
    return deleted
