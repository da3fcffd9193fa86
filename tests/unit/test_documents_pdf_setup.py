"""Missing system libraries or fonts fail with a message naming the Debian packages."""

from __future__ import annotations

import builtins

import pytest

from dagster_project.lib.documents import pdf
from dagster_project.lib.documents.pdf import DEBIAN_PACKAGES, PdfSetupError


@pytest.fixture
def fresh_import():
    pdf.weasyprint_module.cache_clear()
    yield
    pdf.weasyprint_module.cache_clear()


def test_weasyprint_without_pango_names_the_debian_packages(monkeypatch, fresh_import):
    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0.so.0: not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    with pytest.raises(PdfSetupError) as error:
        pdf.weasyprint_module()
    message = str(error.value)
    assert "libpango-1.0.so.0" in message
    assert all(package in message for package in DEBIAN_PACKAGES)


def test_a_machine_without_dejavu_fonts_is_told_to_install_fonts_dejavu_core(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "_FONT_DIRS", (str(tmp_path),))
    with pytest.raises(PdfSetupError, match="fonts-dejavu-core"):
        pdf.check_pdf_setup()


def test_this_machine_can_make_pdfs():
    assert pdf.check_pdf_setup() == []  # no warning: HarfBuzz's subsetter is installed
