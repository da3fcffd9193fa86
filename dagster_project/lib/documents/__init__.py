"""Invoice documents: warehouse -> plain dicts -> HTML (Jinja2, Babel) -> PDF (WeasyPrint)."""
