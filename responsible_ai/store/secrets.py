"""The store's chain key and database URLs that are safe to print.

The key comes from ``RAI_STORE_KEY`` or a file named by ``RAI_STORE_KEY_FILE``. As OpenSSH does, a
key file that group or others may read is refused with the exact ``chmod`` to run, and a key with
too little entropy (a word, 32 equal characters) is refused rather than silently used.

A URL may hold a password (``postgresql://u:pw@host/db``): every message shows it through
:func:`mask_url`, and :func:`scrub` removes it from driver error texts that echo the URL.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections import Counter
from pathlib import Path

from responsible_ai.errors import InputError

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "MIN_KEY_BITS",
    "entropy_bits",
    "load_store_key",
    "mask_url",
    "scrub",
]

KEY_ENV = "RAI_STORE_KEY"
KEY_FILE_ENV = "RAI_STORE_KEY_FILE"
#: Least estimated entropy of a key, in bits.
MIN_KEY_BITS = 128

BOTH_KEY_SOURCES = f"both {KEY_ENV} and {KEY_FILE_ENV} are set: set only one of them"
KEY_FILE_OPEN = "cannot read the store key file {path} ({KEY_FILE_ENV}): {reason}"
KEY_FILE_NOT_REGULAR = "the store key file {path} ({KEY_FILE_ENV}) is not a regular file"
KEY_FILE_READABLE = (
    "the store key file {path} ({KEY_FILE_ENV}) is readable by group or others (mode {mode:o}): "
    "run chmod 600 {path}"
)
WEAK_KEY = (
    "the store key from {source} is too weak (about {bits:.0f} bits, at least {minimum} needed): "
    'use a random key, e.g. python -c "import secrets; print(secrets.token_hex(32))"'
)

# scheme://user:password@ -- the password is whatever lies between the first ':' after the
# user and the last '@' before the host.
_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):(?P<pw>[^\s]*)@")


def entropy_bits(key: bytes) -> float:
    """A conservative estimate of a key's entropy: its length times its symbol entropy.

    A random hex key of 64 characters scores about 250 bits; ``"a" * 32`` scores 0.
    """
    if not key:
        return 0.0
    counts = Counter(key)
    total = len(key)
    per_symbol = -sum(n / total * math.log2(n / total) for n in counts.values())
    return per_symbol * total


def _checked(key: bytes, source: str) -> bytes:
    bits = entropy_bits(key)
    if bits < MIN_KEY_BITS:
        raise InputError(WEAK_KEY.format(source=source, bits=bits, minimum=MIN_KEY_BITS))
    return key


def _read_key_file(name: str) -> bytes:
    path = Path(name).expanduser()
    try:
        # Open first, then check what was opened: no window between the check and the read.
        descriptor = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise InputError(
            KEY_FILE_OPEN.format(path=path, KEY_FILE_ENV=KEY_FILE_ENV, reason=exc.strerror)
        ) from None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InputError(KEY_FILE_NOT_REGULAR.format(path=path, KEY_FILE_ENV=KEY_FILE_ENV))
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise InputError(
                KEY_FILE_READABLE.format(path=path, KEY_FILE_ENV=KEY_FILE_ENV, mode=mode)
            )
        return handle.read(1 << 16).strip()


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
        return _checked(inline.encode("utf-8"), KEY_ENV)
    if file_name:
        return _checked(_read_key_file(file_name), f"{KEY_FILE_ENV} ({file_name})")
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
    """``text`` (a driver's error message) with the password of ``url`` removed."""
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
    return _CREDENTIALS.sub(lambda m: f"{m['head']}:***@", text)
