"""Which files a path, folder or glob names, and one hash over them: shared by the engines."""

from __future__ import annotations

import glob
import hashlib
import os
import threading
from pathlib import Path
from types import TracebackType

from responsible_ai.data_files import TABLE_SUFFIXES, check_data_file
from responsible_ai.errors import InputError

__all__ = ["BackgroundHash", "data_sources", "files_sha256"]

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


def files_sha256(files: list[Path], stop: threading.Event | None = None) -> str:
    """One file: its SHA-256. Several: the SHA-256 of their names and hashes, in path order.

    ``stop``, once set, ends the reading early (the result is then meaningless and not used).
    """
    from responsible_ai.hashing import sha256_file

    if len(files) == 1:
        return sha256_file(files[0], stop)
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path}\0{sha256_file(path, stop)}\n".encode())
    return digest.hexdigest()


class BackgroundHash:
    """:func:`files_sha256` of ``files``, read on a thread while an engine scans the same files.

    Hashing reads every byte (about 0.6 s per GB here); DuckDB and Spark release the GIL while
    they count, so the two overlap instead of adding up. Use as a context manager: leaving it
    before :meth:`result` (an engine failed) stops the reading at the next block.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "a.csv").write_text("x\\n1\\n")
    4
    >>> with BackgroundHash([folder / "a.csv"]) as hashed:
    ...     hashed.result() == files_sha256([folder / "a.csv"])
    True
    """

    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self._stop = threading.Event()
        self._digest: str | None = None
        self._error: BaseException | None = None
        # A daemon: a failed audit exits at once instead of waiting for the last block.
        self._thread = threading.Thread(target=self._run, name="rai-files-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._digest = files_sha256(self.files, self._stop)
        except BaseException as exc:  # an unreadable file: raised where the result is read
            self._error = exc

    def result(self) -> str:
        """The hash, once every byte is read; the reading's error if it failed."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest

    def stop(self) -> None:
        """Stop reading at the next block (the engine failed: the hash is not needed)."""
        self._stop.set()

    def __enter__(self) -> BackgroundHash:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
