"""Escaping user-provided text for Markdown (the app's captions, the Markdown report's cells)."""

from __future__ import annotations

import re

__all__ = ["escape_markdown"]

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&])")


def escape_markdown(text: str) -> str:
    r"""Backslash-escape every Markdown (and HTML-starting) character in ``text``.

    Examples
    --------
    >>> print(escape_markdown("<b>alert(1)</b>"))
    \<b\>alert\(1\)\</b\>
    """
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text).replace("\n", " ")
