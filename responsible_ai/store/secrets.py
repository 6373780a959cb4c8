"""The store's chain key and database URLs that are safe to print.

The key comes from ``RAI_STORE_KEY`` or a file named by ``RAI_STORE_KEY_FILE``. As OpenSSH does, a
key file that group or others may read is refused with the exact ``chmod`` to run, and a key with
too little entropy (a word, 32 equal characters) is refused rather than silently used: the same
checks as every other key (:mod:`responsible_ai._secret_keys`).

A URL may hold a password (``postgresql://u:pw@host/db``): every message shows it through
:func:`mask_url`, and :func:`scrub` removes it from driver error texts that echo the URL.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from responsible_ai._secret_keys import MIN_KEY_BITS, read_key_file, require_strong_key
from responsible_ai.errors import InputError

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "MIN_KEY_BITS",
    "load_store_key",
    "mask_url",
    "scrub",
]

KEY_ENV = "RAI_STORE_KEY"
KEY_FILE_ENV = "RAI_STORE_KEY_FILE"

BOTH_KEY_SOURCES = f"both {KEY_ENV} and {KEY_FILE_ENV} are set: set only one of them"

# scheme://user:password@ -- the password is whatever lies between the first ':' after the
# user and the last '@' before the host.
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):(?P<pw>[^\s]*)@")


def load_store_key() -> bytes | None:
    """The chain key from the environment, or None when neither variable is set.

    Raises
    ------
    InputError
        Both variables are set, the key file cannot be read or is readable by others, or the key
        is too weak.
    """
    inline = os.environ.get(KEY_ENV)
    file_name = os.environ.get(KEY_FILE_ENV)
    if inline and file_name:
        raise InputError(BOTH_KEY_SOURCES)
    if inline:
        return require_strong_key(inline.encode("utf-8"), f"the store key in ${KEY_ENV}")
    if file_name:
        return read_key_file(Path(file_name).expanduser(), f"store key (${KEY_FILE_ENV})")
    return None


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***``: safe to print and log."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: hide all between user and host
        return _mask_unparsed(url)


def _mask_unparsed(text: str) -> str:
    at = text.rfind("@")
    start = text.find("//") + 2 if "//" in text[:at] else 0
    colon = text.find(":", start, at) if at != -1 else -1
    if colon == -1:
        return text
    return f"{text[: colon + 1]}***{text[at:]}"


def scrub(text: str, url: str) -> str:
    """``text`` (a driver's error message) on one line, with the password of ``url`` removed."""
    from sqlalchemy.engine import make_url

    secrets: list[str] = []
    try:
        password = make_url(url).password
        if password:
            from urllib.parse import quote

            secrets += [str(password), quote(str(password), safe="")]
    except Exception:
        found = _CREDENTIALS.search(url)
        if found and found["pw"]:
            secrets.append(found["pw"])
    text = text.replace(url, mask_url(url))
    for secret in secrets:
        text = text.replace(secret, "***")
    # Drivers (psycopg) explain over several lines; an error message is one line.
    text = _LINE_BREAKS.sub("; ", text.strip())
    return _CREDENTIALS.sub(lambda m: f"{m['head']}:***@", text)
