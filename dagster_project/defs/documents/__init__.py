"""Invoice documents: the rendering asset, its templates/ and its locales/."""
