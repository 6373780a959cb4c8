"""Escaping user-provided text for every output format: the one place to grep for it.

Check ids, column names, group values, policy names, messages and references come from whoever
wrote the data or the policy. Each renderer passes them through one function here:

- Markdown (:func:`markdown_text`, :func:`markdown_code`, :func:`markdown_links`): HTML is
  escaped, link and emphasis syntax is neutralised, table cells keep their ``|`` and newlines, and
  only ``http(s)`` URLs become links (``javascript:`` and ``data:`` stay text).
- XML (:func:`xml_text`): characters XML 1.0 forbids (control characters, lone surrogates) are
  written as visible ``\\xNN`` escapes, so the JUnit file always parses.
- Terminal (:func:`escape_terminal`): control characters (ANSI ESC, carriage return, ...) and
  invisible direction overrides are shown as ``\\x1b``, ``\\r``, ``\\u202e``.
- The app's captions (:func:`escape_markdown`): every Markdown character backslash-escaped.

HTML is escaped with :func:`html.escape` in ``report/html.py``; JSON escapes by construction.
"""

from __future__ import annotations

import functools
import html
import re

__all__ = [
    "escape_markdown",
    "escape_terminal",
    "markdown_code",
    "markdown_links",
    "markdown_text",
    "xml_text",
]

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&])")

# C0 and C1 controls, DEL, zero-width and bidirectional formatting characters (which can make a
# terminal show text in another order than it is), line and paragraph separators, the BOM.
_INVISIBLE = "\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_TERMINAL_UNSAFE = re.compile(f"[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f{_INVISIBLE}]")
_TERMINAL_UNSAFE_BUT_NEWLINE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_INVISIBLE}]")


@functools.cache
def _xml_illegal() -> re.Pattern[str]:
    # compiled on first use: its ranges over all of Unicode take 6 ms to compile
    return re.compile("[^\\x09\\x0a\\x0d\\x20-\\ud7ff\\ue000-\\ufffd\\U00010000-\\U0010ffff]")


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# Markdown syntax that can open a link, an image, code, emphasis, or break a table cell. "<", ">"
# and "&" are escaped as HTML entities first, which also kills raw HTML and <autolinks>. "_" is
# left alone: inside a word (column names such as is_proxy) it never starts emphasis.
_MARKDOWN_INLINE = re.compile(r"([\\`*\[\]|~])")
_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+[.)])")
_HTTP_URL = re.compile(
    f"https?://[^\\s<>\"'`|\\[\\]()\\\\\\x00-\\x20\\x7f-\\x9f{_INVISIBLE}]+", re.IGNORECASE
)


def _visible(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def escape_terminal(text: str, *, keep_newlines: bool = False) -> str:
    r"""Show control and invisible characters as escapes, so data cannot drive the terminal.

    Examples
    --------
    >>> print(escape_terminal("red\x1b[31m text\r"))
    red\x1b[31m text\r
    """
    pattern = _TERMINAL_UNSAFE_BUT_NEWLINE if keep_newlines else _TERMINAL_UNSAFE
    return pattern.sub(lambda match: _visible(match.group()), text)


def xml_text(text: str) -> str:
    r"""``text`` with every character XML 1.0 cannot hold written as a visible escape.

    Examples
    --------
    >>> xml_text("group\x00\x1b")
    'group\\x00\\x1b'
    """
    return _xml_illegal().sub(lambda match: _visible(match.group()), text)


def markdown_text(text: object) -> str:
    r"""User text as inert Markdown for a paragraph or a table cell.

    HTML is escaped, link, emphasis and code syntax is backslash-escaped, ``|`` cannot end a table
    cell, newlines become spaces, control characters become visible escapes.

    Examples
    --------
    >>> print(markdown_text("<img src=x onerror=alert(1)> [x](javascript:alert(1)) a|b"))
    &lt;img src=x onerror=alert(1)&gt; \[x\](javascript:alert(1)) a\|b
    """
    value = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    value = escape_terminal(value)
    value = html.escape(value, quote=False)
    value = _MARKDOWN_INLINE.sub(r"\\\1", value)
    return _LINE_START.sub(r"\1\\\2", value)


def markdown_code(text: object, *, in_table: bool = False) -> str:
    """User text inside a Markdown code span: backticks and newlines cannot end it.

    Inside a code span HTML is not interpreted; in a table cell ``|`` is escaped too.
    """
    value = escape_terminal(str(text)).replace("`", "'")
    if in_table:
        value = value.replace("|", "\\|")
    return f"`{value}`"


def markdown_links(text: object) -> str:
    r"""Like :func:`markdown_text`, but ``http(s)`` URLs become links; no other scheme does.

    Examples
    --------
    >>> print(markdown_links("see https://example.org/a_b and javascript:alert(1)"))
    see <https://example.org/a_b> and javascript:alert(1)
    """
    value = str(text)
    parts: list[str] = []
    end = 0
    for match in _HTTP_URL.finditer(value):
        parts.append(markdown_text(value[end : match.start()]) if match.start() > end else "")
        parts.append(f"<{match.group()}>")
        end = match.end()
    parts.append(markdown_text(value[end:]) if end < len(value) else "")
    return "".join(parts)


def escape_markdown(text: str) -> str:
    r"""Backslash-escape every Markdown (and HTML-starting) character in ``text``.

    Examples
    --------
    >>> print(escape_markdown("<b>alert(1)</b>"))
    \<b\>alert\(1\)\</b\>
    """
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text).replace("\n", " ")
