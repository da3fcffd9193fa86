"""The organization's logo, inlined once per run as a `data:` URI.

Inlining keeps each HTML file self-contained and means the PDF writer never
fetches anything: the logo is read (or downloaded) once, not once per invoice.
"""

from __future__ import annotations

import base64
import mimetypes
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

MAX_LOGO_BYTES = 2 * 1024 * 1024


class LogoError(ValueError):
    """The logo could not be read; documents are rendered without it."""


def _data_uri(content: bytes, mime: str | None, source: str) -> str:
    if not mime or not mime.startswith("image/"):
        raise LogoError(
            f"organization logo_url {source!r} is not an image (type {mime or 'unknown'})"
        )
    if len(content) > MAX_LOGO_BYTES:
        raise LogoError(f"organization logo_url {source!r} is larger than {MAX_LOGO_BYTES} bytes")
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def logo_data_uri(logo_url: str | None, data_dir: Path, timeout: float = 5.0) -> str | None:
    """`logo_url` as a data URI: an http(s) URL, a file: URL, or a path (relative to the data dir)."""
    if not logo_url or not str(logo_url).strip():
        return None
    source = str(logo_url).strip()
    if source.startswith("data:image/"):
        return source
    parsed = urlparse(source)
    if parsed.scheme in ("http", "https"):
        try:
            with urllib.request.urlopen(source, timeout=timeout) as response:
                content = response.read(MAX_LOGO_BYTES + 1)
                mime = response.headers.get_content_type()
        except OSError as exc:
            raise LogoError(
                f"organization logo_url {source!r} could not be downloaded: {exc}"
            ) from exc
        return _data_uri(content, mime, source)
    path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(source).expanduser()
    if not path.is_absolute():
        path = data_dir / path
    if not path.is_file():
        raise LogoError(f"organization logo_url {source!r}: no file at {path}")
    return _data_uri(path.read_bytes(), mimetypes.guess_type(path.name)[0], source)
