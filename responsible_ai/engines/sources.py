"""Which files a path, folder or glob names, and one hash over them: shared by the engines."""

from __future__ import annotations

import glob
import hashlib
import os
from pathlib import Path

from responsible_ai.data_files import TABLE_SUFFIXES, check_data_file
from responsible_ai.errors import InputError

__all__ = ["data_sources", "files_sha256"]

MAX_FILES = 100_000
NO_FILES = "no data files match {pattern}: give a CSV/Parquet file, a folder of them, or a glob"
MIXED_KINDS = (
    "{pattern} mixes {kinds} files: an engine reads one format at a time; "
    "narrow the glob (for example {pattern_hint})"
)
_GLOB_CHARS = frozenset("*?[")


def data_sources(data: str | os.PathLike[str]) -> tuple[list[Path], str]:
    """The data files behind ``data`` (a file, a folder, or a glob) and their format.

    Raises
    ------
    InputError
        Nothing matches, a match is not a regular non-empty file, or the formats are mixed.
    """
    text = os.fspath(data)
    if any(c in text for c in _GLOB_CHARS) and not Path(text).is_file():
        found = sorted(Path(p) for p in glob.glob(text, recursive=True) if not Path(p).is_dir())
    elif Path(text).is_dir():
        found = sorted(
            p for p in Path(text).rglob("*") if p.suffix.lower() in TABLE_SUFFIXES and p.is_file()
        )
    else:
        found = [Path(text)]
    if not found:
        raise InputError(NO_FILES.format(pattern=text))
    if len(found) > MAX_FILES:
        raise InputError(f"{text} matches {len(found)} files; at most {MAX_FILES} are read")
    kinds = {TABLE_SUFFIXES.get(p.suffix.lower()) for p in found}
    for path in found:
        check_data_file(path)
    if None in kinds:
        odd = next(p for p in found if TABLE_SUFFIXES.get(p.suffix.lower()) is None)
        raise InputError(f"{odd} is not a CSV, TSV or Parquet file (by its suffix)")
    if len(kinds) > 1:
        named = " and ".join(sorted(str(k) for k in kinds))
        hint = str(Path(text) / "*.parquet") if Path(text).is_dir() else "*.parquet"
        raise InputError(MIXED_KINDS.format(pattern=text, kinds=named, pattern_hint=hint))
    return found, str(kinds.pop())


def files_sha256(files: list[Path]) -> str:
    """One file: its SHA-256. Several: the SHA-256 of their names and hashes, in path order."""
    from responsible_ai.hashing import sha256_file

    if len(files) == 1:
        return sha256_file(files[0])
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()
