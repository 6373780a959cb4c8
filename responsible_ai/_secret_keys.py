"""Secret keys that are keys: read a key file as OpenSSH would, and refuse guessable keys.

Shared by every feature that takes a secret key (the pseudonymization key, a store's chain key):
each names what the key is for (``what``) and where it came from (``source``); a message names
the source and the fix, never the key. Standard library only.

The entropy estimate is deliberately pessimistic about what humans type and generous to what
``openssl rand`` prints. It is an upper bound used to refuse obviously weak keys (runs, repeats,
words, few distinct characters), not a proof that a key is strong.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import stat
from collections import Counter
from pathlib import Path

from responsible_ai.errors import InputError

__all__ = [
    "KEY_FILE_DOCUMENT",
    "KEY_FILE_EMPTY",
    "KEY_FILE_MISSING",
    "KEY_FILE_NOT_REGULAR",
    "KEY_FILE_OPEN",
    "KEY_FILE_TOO_LARGE",
    "KEY_FILE_UNREADABLE",
    "KEY_TOO_LONG",
    "KEY_TOO_SHORT",
    "KEY_TOO_WEAK",
    "MAX_KEY_BYTES",
    "MIN_KEY_BITS",
    "MIN_KEY_BYTES",
    "estimate_key_bits",
    "read_key_file",
    "require_strong_key",
]

MIN_KEY_BYTES = 32
MAX_KEY_BYTES = 4096
MIN_KEY_BITS = 128

# {source} reads "the pseudonymization key in $RAI_PSEUDONYMIZATION_KEY" or "... key file PATH".
KEY_TOO_SHORT = (
    "{source} is {length} bytes long; a key must be at least 32 bytes (for example: "
    "openssl rand -hex 32)"
)
KEY_TOO_LONG = (
    "{source} is longer than 4096 bytes, so it is a document, not a key; use a random key "
    "(for example: openssl rand -hex 32)"
)
KEY_TOO_WEAK = (
    "{source} is too easy to guess (under 128 bits of entropy estimated: a run, a repeat, "
    "words or too few distinct characters); use a random key (for example: openssl rand -hex 32)"
)
# {file} reads "the pseudonymization key file PATH"; {path} is the path quoted for a shell.
KEY_FILE_MISSING = "{file} does not exist; create it: (umask 077; openssl rand -hex 32 > {path})"
KEY_FILE_NOT_REGULAR = (
    "{file} is not a regular file (a directory, FIFO or device); give a file that holds only "
    "the key"
)
KEY_FILE_EMPTY = "{file} is empty; write a key into it: openssl rand -hex 32 > {path}"
KEY_FILE_TOO_LARGE = (
    "{file} is larger than 4096 bytes, so it is a document, not a key; give a file that holds "
    "only the key (openssl rand -hex 32 > FILE)"
)
KEY_FILE_DOCUMENT = (
    "{file} holds {lines} lines of text, so it is a document, not a key; give a file that "
    "holds only the key (openssl rand -hex 32 > FILE)"
)
KEY_FILE_OPEN = (
    "{file} is readable or writable by group or others (mode {mode:03o}); run: chmod 600 {path}"
)
KEY_FILE_UNREADABLE = "cannot read {file}: {reason}"

_HEX = re.compile(r"[0-9a-fA-F]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+=*")
# Placeholder words people put in keys; each costs a few bits, not a few bits per character.
# fmt: off
_WORDS = sorted(
    ["admin", "change", "changeme", "default", "demo", "dev", "development", "dummy", "example",
     "hmac", "insecure", "key", "letmein", "local", "master", "password", "passwd", "please",
     "private", "prod", "production", "pseudonym", "pseudonymization", "qwerty", "rai",
     "replace", "sample", "secret", "staging", "super", "test", "testing", "token", "top"],
    key=len,
    reverse=True,
)
# fmt: on
_WORD_BITS = math.log2(len(_WORDS)) + 1  # which word, and whether it is capitalised
_REPEAT_CANDIDATES = 32
_LARGEST_STEP = 3  # "aaaa", "abcd", "1357", "zyxw": runs of a constant small step


def estimate_key_bits(key: bytes) -> float:
    """Estimate the entropy of ``key`` in bits, pessimistically.

    Each character is worth at most what its alphabet allows (hex 4 bits, base64 6, words
    separated by spaces 2, other printable text log2(95), bytes 8) and at most the empirical
    Shannon entropy of the key's characters. A run of a constant small step or a repeat of an
    earlier part of the key is worth only where it starts and how long it is.

    Examples
    --------
    >>> estimate_key_bits(b"a" * 32)
    0.0
    >>> estimate_key_bits(b"abc" * 11) < 128
    True
    >>> estimate_key_bits(b"5d0c3f4ab8e1967c2fd4a07b3e9158c604e7a2bd1f6938c5e0ab47d26f1c8359") > 128
    True
    """
    try:
        text: str | None = key.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    symbols = [ord(c) for c in text] if text is not None else list(key)
    count = len(symbols)
    if count == 0:
        return 0.0
    rate = min(_alphabet_bits(text), _shannon_bits(symbols))
    earlier_at = _trigram_positions(symbols)
    pointer = math.log2(count)
    folded = text.casefold() if text is not None else ""
    bits, i = 0.0, 0
    while i < count:
        repeat = _longest_repeat(symbols, i, earlier_at)
        run = _run_length(symbols, i)
        word = _word_at(folded, i) if text is not None else 0
        longest = max(repeat, run, word)
        if longest >= 3 and longest == word:
            bits += _WORD_BITS
        elif longest >= 3 and longest == repeat:
            bits += 2 * pointer  # where the earlier copy starts, and how long it is
        elif longest >= 3:
            bits += rate + 2 + pointer  # the first character, the step, the length
        else:
            bits += rate
            longest = 1
        i += longest
    return max(0.0, min(bits, count * rate))


def _alphabet_bits(text: str | None) -> float:
    if text is None:
        return 8.0
    if text.isdigit() and text.isascii():
        return math.log2(10)
    if _HEX.fullmatch(text):
        return 4.0
    if _BASE64.fullmatch(text):
        return 6.0
    if re.search(r"\s", text):
        return 2.0  # a passphrase of words: about what diceware gives per character
    if text.isascii() and text.isprintable():
        return math.log2(95)
    return 8.0


def _shannon_bits(symbols: list[int]) -> float:
    count = len(symbols)
    return -sum(n / count * math.log2(n / count) for n in Counter(symbols).values()) + 0.0


def _trigram_positions(symbols: list[int]) -> dict[tuple[int, ...], list[int]]:
    positions: dict[tuple[int, ...], list[int]] = {}
    for i in range(len(symbols) - 2):
        positions.setdefault(tuple(symbols[i : i + 3]), []).append(i)
    return positions


def _longest_repeat(
    symbols: list[int], start: int, earlier_at: dict[tuple[int, ...], list[int]]
) -> int:
    """Length of the longest copy of an earlier part of the key that begins at ``start``."""
    candidates = [p for p in earlier_at.get(tuple(symbols[start : start + 3]), []) if p < start]
    best = 0
    for earlier in candidates[-_REPEAT_CANDIDATES:]:  # bounded: a key is at most 4096 bytes
        length = 0
        while (
            start + length < len(symbols) and symbols[earlier + length] == symbols[start + length]
        ):
            length += 1
        best = max(best, length)
    return best


def _run_length(symbols: list[int], start: int) -> int:
    if start + 1 >= len(symbols):
        return 1
    step = symbols[start + 1] - symbols[start]
    if abs(step) > _LARGEST_STEP:
        return 1
    end = start + 2
    while end < len(symbols) and symbols[end] - symbols[end - 1] == step:
        end += 1
    return end - start


def _word_at(folded: str, start: int) -> int:
    return next((len(word) for word in _WORDS if folded.startswith(word, start)), 0)


def require_strong_key(key: bytes, source: str) -> bytes:
    """Return ``key`` if it is 32 to 4096 bytes long and not guessable; raise otherwise.

    ``source`` names where the key came from, e.g. ``"the store key in $RAI_STORE_KEY"``.

    Raises
    ------
    InputError
        If the key is too short, too long, or its estimated entropy is under 128 bits.
    """
    if len(key) < MIN_KEY_BYTES:
        raise InputError(KEY_TOO_SHORT.format(source=source, length=len(key)))
    if len(key) > MAX_KEY_BYTES:
        raise InputError(KEY_TOO_LONG.format(source=source))
    if estimate_key_bits(key) < MIN_KEY_BITS:
        raise InputError(KEY_TOO_WEAK.format(source=source))
    return key


def read_key_file(path: str | os.PathLike[str], what: str) -> bytes:
    """Read a key file as OpenSSH reads a private key, and check the key it holds.

    The file must be a regular file (never a directory or FIFO: opening one never blocks) of at
    most 4096 bytes, a key rather than a document of several lines, holding a key that
    :func:`require_strong_key` accepts, and readable and writable by its owner only (mode 600
    or 400). One trailing newline of a text key is not part of the key.

    Raises
    ------
    InputError
        Naming the file and the fix, never the key.
    """
    file = Path(path)
    label = f"the {what} file {file}"
    quoted = shlex.quote(str(file))
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of hanging.
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(KEY_FILE_MISSING.format(file=label, path=quoted)) from None
    except IsADirectoryError:
        raise InputError(KEY_FILE_NOT_REGULAR.format(file=label)) from None
    except OSError as error:
        raise InputError(KEY_FILE_UNREADABLE.format(file=label, reason=error.strerror)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(KEY_FILE_NOT_REGULAR.format(file=label))
        if info.st_size > MAX_KEY_BYTES:
            raise InputError(KEY_FILE_TOO_LARGE.format(file=label))
        content = os.read(fd, MAX_KEY_BYTES + 1)
    except OSError as error:
        raise InputError(KEY_FILE_UNREADABLE.format(file=label, reason=error.strerror)) from None
    finally:
        os.close(fd)
    if len(content) > MAX_KEY_BYTES:  # grew since fstat
        raise InputError(KEY_FILE_TOO_LARGE.format(file=label))
    key = _without_final_newline(content)
    if not key:
        raise InputError(KEY_FILE_EMPTY.format(file=label, path=quoted))
    lines = _text_lines(key)
    if lines > 1:
        raise InputError(KEY_FILE_DOCUMENT.format(file=label, lines=lines))
    # Whether it is a key at all comes first, so that nobody is told to chmod a file that is not.
    require_strong_key(key, label)
    if os.name == "posix" and info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        raise InputError(KEY_FILE_OPEN.format(file=label, mode=mode, path=quoted))
    return key


def _without_final_newline(content: bytes) -> bytes:
    """Drop the one newline that ends a line of text; random bytes are the key as they are."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return content
    for ending in (b"\r\n", b"\n"):
        if content.endswith(ending):
            return content[: -len(ending)]
    return content


def _text_lines(key: bytes) -> int:
    """Lines of a text key; random bytes may hold a newline byte and are never a document."""
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError:
        return 1
    return len([line for line in text.splitlines() if line.strip()])
