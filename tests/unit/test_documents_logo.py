"""The organization's logo_url is inlined once as a data: URI, or reported and left out."""

from __future__ import annotations

import base64

import pytest

from dagster_project.lib.documents.logo import LogoError, logo_data_uri

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def test_a_path_relative_to_the_data_directory_is_inlined(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "logo.png").write_bytes(PNG)
    uri = logo_data_uri("catalog/logo.png", tmp_path)
    assert uri == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert logo_data_uri(f"file://{tmp_path}/catalog/logo.png", tmp_path) == uri


def test_no_logo_is_no_logo_and_a_data_uri_is_kept(tmp_path):
    assert logo_data_uri(None, tmp_path) is None
    assert logo_data_uri("  ", tmp_path) is None
    assert logo_data_uri("data:image/png;base64,AAAA", tmp_path) == "data:image/png;base64,AAAA"


def test_a_missing_file_or_a_non_image_is_reported(tmp_path):
    with pytest.raises(LogoError, match="no file"):
        logo_data_uri("nowhere.png", tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(LogoError, match="not an image"):
        logo_data_uri("notes.txt", tmp_path)
