"""The pseudonymization key: where it comes from, how long it must be, and its public key id.

Standard library only, so the policy settings can name the default environment variable without
loading numpy. The key is read when needed and never stored, printed or written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

from responsible_ai.errors import InputError

__all__ = [
    "DEFAULT_KEY_ENV",
    "KEY_CHANGED",
    "KEY_FILE_MISSING",
    "KEY_TOO_SHORT",
    "MIN_KEY_BYTES",
    "NO_KEY",
    "canonical",
    "key_id",
    "load_key",
]

DEFAULT_KEY_ENV = "RAI_PSEUDONYMIZATION_KEY"
MIN_KEY_BYTES = 32
NO_KEY = (
    "no pseudonymization key: set the environment variable {env} to a secret of at least "
    "32 bytes (for example: export {env}=$(openssl rand -hex 32)) or give a key file "
    "(--key-file, or privacy.key_file in the policy); nothing was written"
)
KEY_TOO_SHORT = (
    "the pseudonymization key from {source} is {length} bytes long; it must be at least 32 "
    "bytes (for example: openssl rand -hex 32)"
)
KEY_FILE_MISSING = "pseudonymization key file not found: {path}"
KEY_CHANGED = (
    "the pseudonymization key changed since fit (key id {was} then, {now} now); fit again "
    "with the key you mean to use"
)
_KEY_ID_LABEL = b"responsible-ai pseudonymization key id v1"


def load_key(env: str = DEFAULT_KEY_ENV, key_file: str | os.PathLike[str] | None = None) -> bytes:
    """Read the pseudonymization key: the environment variable ``env``, else ``key_file``.

    Raises
    ------
    InputError
        If neither holds a key, the file does not exist, or the key is shorter than 32 bytes.
    """
    value = os.environ.get(env)
    if value:
        key, source = value.encode("utf-8"), f"${env}"
    elif key_file is not None:
        path = Path(key_file)
        if not path.is_file():
            raise InputError(KEY_FILE_MISSING.format(path=path))
        key, source = path.read_bytes().rstrip(b"\r\n"), f"key file {path}"
    else:
        raise InputError(NO_KEY.format(env=env))
    if len(key) < MIN_KEY_BYTES:
        raise InputError(KEY_TOO_SHORT.format(source=source, length=len(key)))
    return key


def key_id(key: bytes) -> str:
    """A short fingerprint of the key that reveals nothing about it (HMAC of a fixed label)."""
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def canonical(value: Any) -> str:
    """The form a value is pseudonymized in: Unicode NFKC, trimmed, spaces collapsed, casefolded.

    ``" Ann@Example.org"`` and ``"ann@example.org"`` get the same pseudonym, and so do ``7`` and
    ``7.0``.

    Examples
    --------
    >>> canonical(" Ann  @Example.ORG "), canonical(7.0)
    ('ann @example.org', '7')
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return re.sub(r"\s+", " ", text).casefold()
