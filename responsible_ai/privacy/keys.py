"""The pseudonymization key: where it may come from, what makes it a key, and its public key id.

Standard library only, so the policy settings can name the default environment variable without
loading numpy. The key is read when needed and never stored, printed or written anywhere.

Who may choose the key's source: code that builds a :class:`Pseudonymizer` is the user's own and
may name any variable or file. A policy may have been written by someone else, who could point
``key_env`` at ``PATH`` or ``key_file`` at ``/etc/passwd`` and so know the key of every pseudonym;
so a policy may name only the documented variable or one the user gives (``--key-env``), and only
a key file inside the policy's own folder tree or one the user gives (``--key-file``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Collection
from pathlib import Path
from typing import Any

from responsible_ai._secret_keys import (
    KEY_TOO_SHORT,
    KEY_TOO_WEAK,
    MIN_KEY_BITS,
    MIN_KEY_BYTES,
    estimate_key_bits,
    read_key_file,
    require_strong_key,
)
from responsible_ai.errors import InputError

__all__ = [
    "DEFAULT_KEY_ENV",
    "KEY_CHANGED",
    "KEY_TOO_SHORT",
    "KEY_TOO_WEAK",
    "MIN_KEY_BYTES",
    "NO_KEY",
    "POLICY_KEY_ENV",
    "POLICY_KEY_ENV_IS_A_KEY",
    "POLICY_KEY_FILE_OUTSIDE",
    "POLICY_KEY_FILE_WITHOUT_FOLDER",
    "canonical",
    "key_env_source",
    "key_file_source",
    "key_id",
    "load_key",
    "policy_key_env",
    "policy_key_file",
]

DEFAULT_KEY_ENV = "RAI_PSEUDONYMIZATION_KEY"
WHAT = "pseudonymization key"
NO_KEY = (
    "no pseudonymization key: set the environment variable {env} to a random secret (for "
    "example: export {env}=$(openssl rand -hex 32)) or give a key file "
    "(--key-file, or privacy.key_file in the policy); nothing was written"
)
KEY_CHANGED = (
    "the pseudonymization key changed since fit (key id {was} then, {now} now); fit again "
    "with the key you mean to use"
)
POLICY_KEY_ENV = (
    "the policy names key_env {name}; a policy may only name RAI_PSEUDONYMIZATION_KEY or a "
    "variable given with --key-env"
)
POLICY_KEY_ENV_IS_A_KEY = (
    "the policy's key_env looks like a key, not the name of a variable: never put a key in a "
    "policy (replace that key); a policy may only name RAI_PSEUDONYMIZATION_KEY or a variable "
    "given with --key-env"
)
POLICY_KEY_FILE_OUTSIDE = (
    "the policy names key_file {path}, outside the policy's folder {folder}; a policy may only "
    "name a key file inside its own folder tree or the one given with --key-file"
)
POLICY_KEY_FILE_WITHOUT_FOLDER = (
    "the policy names key_file {path} but was not loaded from a file, so it has no folder a key "
    "file may lie in; give the key file with --key-file (key_file= in Python)"
)
_KEY_ID_LABEL = b"responsible-ai pseudonymization key id v1"
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def key_env_source(env: str) -> str:
    """How a message names a key read from the environment variable ``env``."""
    return f"the {WHAT} in ${env}"


def key_file_source(path: str | os.PathLike[str]) -> str:
    """How a message names a key read from the file ``path``."""
    return f"the {WHAT} file {path}"


def load_key(env: str = DEFAULT_KEY_ENV, key_file: str | os.PathLike[str] | None = None) -> bytes:
    """Read the pseudonymization key: the environment variable ``env``, else ``key_file``.

    The key must be 32 to 4096 bytes with at least 128 bits of estimated entropy; a key file must
    be a regular file readable by its owner only (``chmod 600``).

    Raises
    ------
    InputError
        If neither holds a key, or the key or key file is refused; the message names the
        source and the fix, never the key.
    """
    value = os.environ.get(env)
    if value:
        return require_strong_key(value.encode("utf-8"), key_env_source(env))
    if key_file is not None:
        return read_key_file(key_file, WHAT)
    raise InputError(NO_KEY.format(env=env))


def policy_key_env(name: str, allowed: Collection[str] = ()) -> str:
    """Return ``name``, a policy's ``key_env``, if a policy may name it.

    ``allowed`` holds the variables the user gave (``--key-env``); the documented
    ``RAI_PSEUDONYMIZATION_KEY`` is always allowed.

    Raises
    ------
    InputError
        If the policy names any other variable. A ``key_env`` that could itself be a key is not
        repeated in the message.
    """
    if name == DEFAULT_KEY_ENV or name in allowed:
        return name
    if not _VARIABLE_NAME.fullmatch(name) or (
        len(name.encode("utf-8")) >= MIN_KEY_BYTES
        and estimate_key_bits(name.encode("utf-8")) >= MIN_KEY_BITS
    ):
        raise InputError(POLICY_KEY_ENV_IS_A_KEY)
    raise InputError(POLICY_KEY_ENV.format(name=name))


def policy_key_file(
    named: str,
    policy_folder: str | os.PathLike[str] | None,
    allowed: Collection[str | os.PathLike[str]] = (),
) -> Path:
    """Where a policy's ``key_file`` points, if a policy may name it.

    A relative path is relative to the policy's folder. After following symbolic links it must
    lie inside that folder's tree (as ``extends`` must) or be a file in ``allowed``, the key
    files the user gave (``--key-file``); so a policy cannot make a file everyone can guess,
    such as ``/etc/passwd``, the key.

    Raises
    ------
    InputError
        If the file lies outside the policy's folder tree, or the policy has no folder (it was
        built in code), and the user did not give that file.
    """
    base = Path(policy_folder).resolve() if policy_folder is not None else Path.cwd()
    resolved = (base / named).resolve()
    if resolved in {Path(path).resolve() for path in allowed}:
        return resolved
    if policy_folder is None:
        raise InputError(POLICY_KEY_FILE_WITHOUT_FOLDER.format(path=named))
    if not resolved.is_relative_to(base):
        raise InputError(POLICY_KEY_FILE_OUTSIDE.format(path=named, folder=base))
    return resolved


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
