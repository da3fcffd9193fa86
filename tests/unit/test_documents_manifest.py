"""Only documents whose content changed are rendered; stale drafts go, finalized files stay."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from dagster_project.lib.documents.manifest import (
    content_hash,
    file_stem,
    plan,
    read_manifest,
    renderer_fingerprint,
    write_manifest,
)


def doc(document_id: str, number: str, status: str = "finalized", total: int = 100) -> dict:
    return {
        "kind": "invoice",
        "document_id": document_id,
        "number": number,
        "status": status,
        "total_amount_cents": total,
    }


def key(document: dict) -> str:
    return f"invoice:{document['document_id']}"


def hashes(*documents: dict) -> dict[str, str]:
    return {key(d): content_hash(d, "v1") for d in documents}


def touch(folder: Path, stem: str) -> None:
    for ext in (".html", ".pdf"):
        (folder / f"{stem}{ext}").write_text("x")


def rendered_once(folder: Path, *documents: dict) -> dict[str, dict]:
    first = plan(list(documents), hashes(*documents), {}, folder)
    for _, stem in first.render:
        touch(folder, stem)
    return first.entries


def test_the_content_hash_changes_with_any_shown_value_or_the_renderer():
    base = doc("a", "RB-001-001")
    assert content_hash(base, "v1") == content_hash(dict(base), "v1")
    assert content_hash(base, "v1") != content_hash({**base, "total_amount_cents": 101}, "v1")
    assert content_hash(base, "v1") != content_hash(base, "v2")
    # Decimals hash by value, not by their scale
    assert content_hash({"units": Decimal("1.000")}, "v1") == content_hash(
        {"units": Decimal(1)}, "v1"
    )


def test_files_are_named_after_the_number_and_drafts_also_after_their_id():
    assert file_stem(doc("abcdef0123", "RB-001-001")) == "RB-001-001"
    assert file_stem(doc("abcdef0123", "RB-DRAFT", "draft")) == "RB-DRAFT-abcdef01"
    assert file_stem(doc("x", "A/B C")) == "A_B_C"


def test_a_first_run_renders_everything(tmp_path):
    documents = [doc("a", "RB-001-001"), doc("b", "RB-DRAFT", "draft")]
    result = plan(documents, hashes(*documents), {}, tmp_path)
    assert [stem for _, stem in result.render] == ["RB-001-001", "RB-DRAFT-b"]
    assert result.skipped == 0


def test_an_unchanged_document_is_skipped_and_a_changed_one_rendered(tmp_path):
    a, b = doc("a", "RB-001-001"), doc("b", "RB-001-002")
    entries = rendered_once(tmp_path, a, b)
    b_changed = {**b, "total_amount_cents": 999}
    result = plan([a, b_changed], hashes(a, b_changed), entries, tmp_path)
    assert [stem for _, stem in result.render] == ["RB-001-002"]
    assert result.skipped == 1


def test_a_missing_file_is_rendered_again(tmp_path):
    a = doc("a", "RB-001-001")
    entries = rendered_once(tmp_path, a)
    (tmp_path / "RB-001-001.pdf").unlink()
    assert [stem for _, stem in plan([a], hashes(a), entries, tmp_path).render] == ["RB-001-001"]


def test_force_renders_everything(tmp_path):
    a = doc("a", "RB-001-001")
    entries = rendered_once(tmp_path, a)
    assert len(plan([a], hashes(a), entries, tmp_path, force=True).render) == 1


def test_a_draft_that_is_finalized_replaces_its_draft_files(tmp_path):
    draft = doc("a", "RB-DRAFT", "draft")
    entries = rendered_once(tmp_path, draft)
    final = doc("a", "RB-001-001")
    result = plan([final], hashes(final), entries, tmp_path)
    assert [stem for _, stem in result.render] == ["RB-001-001"]
    assert sorted(p.name for p in result.delete) == ["RB-DRAFT-a.html", "RB-DRAFT-a.pdf"]


def test_a_draft_gone_from_the_warehouse_is_deleted_but_a_finalized_invoice_is_kept(tmp_path):
    draft, final = doc("a", "RB-DRAFT", "draft"), doc("b", "RB-001-001")
    entries = rendered_once(tmp_path, draft, final)
    result = plan([], {}, entries, tmp_path)
    assert sorted(p.name for p in result.delete) == ["RB-DRAFT-a.html", "RB-DRAFT-a.pdf"]
    assert result.kept_missing == ["RB-001-001"]
    assert "invoice:b" in result.entries


def test_two_documents_with_one_number_are_both_kept(tmp_path):
    a, b = doc("aaaaaaaa1", "RB-001-001"), doc("bbbbbbbb2", "RB-001-001")
    result = plan([a, b], hashes(a, b), {}, tmp_path)
    assert sorted(stem for _, stem in result.render) == [
        "RB-001-001-aaaaaaaa",
        "RB-001-001-bbbbbbbb",
    ]
    assert result.duplicates == ["RB-001-001"]


def test_the_manifest_round_trips_and_a_corrupt_one_means_render_again(tmp_path):
    write_manifest(tmp_path, {"invoice:a": {"stem": "RB-001-001", "hash": "h"}})
    assert read_manifest(tmp_path) == {"invoice:a": {"stem": "RB-001-001", "hash": "h"}}
    (tmp_path / ".documents-manifest.json").write_text("{not json")
    assert read_manifest(tmp_path) == {}


def test_the_renderer_fingerprint_follows_the_template_files(tmp_path):
    (tmp_path / "a.html").write_text("one")
    first = renderer_fingerprint(tmp_path)
    (tmp_path / "a.html").write_text("two")
    assert renderer_fingerprint(tmp_path) != first
