"""Write files so that nothing is destroyed: atomically, only regular files, never over an input.

Readers see the old file or the new one, never half of one. The rules every command that writes a
file follows (call :func:`guard_output` early, before expensive work or side effects, then write
with :func:`write_output` / :func:`write_text_atomic` / :func:`write_bytes_atomic`):

- An output that is one of the command's inputs (same real path, or a hard link to it: same device
  and inode) is refused: a report never replaces the data it reports on.
- Only regular files are written. A directory, FIFO, device or socket is refused, so ``--output``
  naming ``/dev/sda`` or a pipe never replaces the special file with a regular one.
- A symlink is followed: the file it points to is replaced atomically and the link is kept.
- The temporary file lives next to the target and is removed on any error, on Ctrl-C and on
  SIGTERM / SIGHUP (handlers installed only while writing, in the main thread). SIGKILL cannot be
  caught: a run killed with ``kill -9`` mid-write may leave a ``.NAME.*.tmp`` file, never a half
  written NAME.
- ``-`` means standard output (write ``./-`` for a file of that name).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from responsible_ai.errors import RAIError

__all__ = [
    "STDOUT",
    "OutputError",
    "OutputWriteError",
    "database_file",
    "guard_output",
    "is_stdout",
    "write_bytes_atomic",
    "write_output",
    "write_text_atomic",
]

STDOUT = "-"

IS_AN_INPUT = "refusing to write {path}: it is the {role}; choose another {flag}"
IS_A_DIRECTORY = "cannot write {path}: it is a directory; give a file name"
NOT_A_REGULAR_FILE = (
    "refusing to write {path}: it is a {kind}, not a regular file; give the path of a regular file"
)
PARENT_NOT_A_DIRECTORY = "cannot write {path}: {parent} is not a directory; choose another path"
SYMLINK_LOOP = "cannot write {path}: it is a symbolic link that loops; choose another path"
CANNOT_WRITE = "cannot write {path}: {reason}; nothing was written{kept}"

# Inputs are named by what they are to the user: ("input data file", "data.csv").
Inputs = Iterable[tuple[str, "str | os.PathLike[str] | None"]]


class OutputError(RAIError):
    """An output path that would destroy something, or that cannot be written."""


class OutputWriteError(OutputError, OSError):
    """Writing failed (read-only folder, full disk, ...); the old file is unchanged.

    Also an :class:`OSError`, so code that catches failed writes as OS errors keeps working.
    """


def is_stdout(path: str | os.PathLike[str] | None) -> bool:
    """Whether ``path`` is the text ``-`` (standard output); a ``Path`` never is."""
    return isinstance(path, str) and path == STDOUT


def database_file(url: str | os.PathLike[str] | None) -> Path | None:
    """The file of a SQLite URL or path (to list a store or ledger as an input), else None."""
    if url is None:
        return None
    text = os.fspath(url)
    if "://" not in text:
        return Path(text).expanduser()
    prefix, _, rest = text.partition(":///")
    if not prefix.startswith("sqlite") or not rest or rest.startswith(":memory:"):
        return None
    return Path(rest.split("?", 1)[0])


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _real_target(path: Path) -> Path:
    """Where a write to ``path`` lands: symlinks followed (also dangling ones)."""
    try:
        return Path(os.path.realpath(path, strict=False))
    except (OSError, RuntimeError):
        raise OutputError(SYMLINK_LOOP.format(path=path)) from None


def _check_target(path: Path, target: Path) -> os.stat_result | None:
    """Refuse a target that is not a regular file; its stat if it exists."""
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputError(SYMLINK_LOOP.format(path=path)) from None
        if exc.errno == errno.ENOTDIR:
            raise OutputError(
                PARENT_NOT_A_DIRECTORY.format(path=path, parent=_first_non_directory(target))
            ) from None
        raise OutputWriteError(_cannot(path, exc, kept=False)) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(IS_A_DIRECTORY.format(path=path))
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(NOT_A_REGULAR_FILE.format(path=path, kind=_kind(info.st_mode)))
    return info


def _first_non_directory(target: Path) -> Path:
    for parent in reversed(target.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return target.parent


def guard_output(
    path: str | os.PathLike[str], inputs: Inputs = (), *, flag: str = "--output"
) -> Path:
    """Refuse an output path that would destroy something; return where the write will land.

    Call it before any expensive work or side effect (charging a budget, writing a store), with
    every file the command reads: ``guard_output(args.output, [("input data file", args.data),
    ("policy file", path), ...])``. ``None`` inputs are ignored. ``-`` (standard output) passes.
    ``flag`` names the option in the message (``--output``, ``--report``).

    Raises
    ------
    OutputError
        The path is one of the inputs (same real path or same device and inode), a directory, a
        FIFO, device or socket, a symlink loop, or under something that is not a directory.
    """
    if is_stdout(path):
        return Path(STDOUT)
    given = Path(path)
    target = _real_target(given)
    info = _check_target(given, target)
    for role, item in inputs:
        if item is None or is_stdout(item):
            continue
        if _same_file(target, info, Path(item)):
            raise OutputError(IS_AN_INPUT.format(path=given, role=role, flag=flag))
    return target


def _same_file(target: Path, info: os.stat_result | None, item: Path) -> bool:
    try:
        if _real_target(item) == target:
            return True
    except OutputError:
        return False
    if info is None:
        return False
    try:
        other = os.stat(item)
    except OSError:
        return False
    return (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino)


def _cannot(path: Path, exc: OSError, *, kept: bool) -> str:
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device"
    return CANNOT_WRITE.format(
        path=path, reason=reason.lower(), kept=" and the old file is unchanged" if kept else ""
    )


class _Terminated(BaseException):
    """Raised by the signal handler so that the writer's cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_CHUNK = 1 << 20
_CAUGHT = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def _cleanup_on_termination() -> Iterator[None]:
    """While writing, turn SIGTERM / SIGHUP (default action: die at once) into an exception.

    Only signals left at their default are taken over (a program with its own handler decides
    itself), and only in the main thread (Python delivers signals there only).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise _Terminated(signum)

    for signum in _CAUGHT:
        if signal.getsignal(signum) == signal.SIG_DFL:
            previous[signum] = signal.signal(signum, _raise)
    try:
        yield
    except _Terminated as terminated:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        previous.clear()
        # The temporary file is gone; now die of the signal as the process would have.
        os.kill(os.getpid(), terminated.signum)
        raise SystemExit(128 + terminated.signum) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _make_parents(parent: Path, path: Path) -> list[Path]:
    """Create the missing folders above the target; the ones created, deepest first."""
    missing: list[Path] = []
    for folder in [parent, *parent.parents]:
        if folder.exists() or folder.is_symlink():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            _remove_folders(missing)
            if exc.errno == errno.ENOTDIR:
                raise OutputError(
                    PARENT_NOT_A_DIRECTORY.format(path=path, parent=_first_non_directory(folder))
                ) from None
            raise OutputWriteError(_cannot(path, exc, kept=False)) from None
    return missing


def _remove_folders(folders: list[Path]) -> None:
    for folder in folders:  # deepest first; only empty ones, only the ones we made
        with contextlib.suppress(OSError):
            folder.rmdir()


def _write_all(fd: int, content: bytes) -> None:
    # In chunks, so that a signal is handled promptly even while a large report is written.
    view = memoryview(content)
    while view:
        written = os.write(fd, view[:_CHUNK])
        view = view[written:]


def write_bytes_atomic(
    path: str | os.PathLike[str], content: bytes, *, inputs: Inputs = (), flag: str = "--output"
) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the target's directory; ``path``.

    The path is checked with :func:`guard_output` first (against ``inputs``, and for special
    files). Missing parent folders are created, and removed again if the write fails.

    Raises
    ------
    OutputError
        The path is refused, or the write fails (read-only folder, full disk, ...): one line, the
        old file unchanged, no temporary file left.
    """
    if is_stdout(path):
        raise OutputError("cannot write standard output atomically: use write_output")
    given = Path(path)
    target = guard_output(given, inputs, flag=flag)
    existing = _check_target(given, target)
    existed = existing is not None
    with _cleanup_on_termination():
        created: list[Path] = []
        tmp: str | None = None
        try:
            created = _make_parents(target.parent, given)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            # mkstemp creates 0600: keep the replaced file's permissions, or give a new file
            # those a plain open() would (the umask).
            if existing is not None:
                mode = stat.S_IMODE(existing.st_mode)
            else:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)
            try:
                _write_all(fd, content)
                os.fsync(fd)
            finally:
                os.close(fd)
            # Re-check just before the rename: the target may have changed since the guard.
            _check_target(given, target)
            os.replace(tmp, target)
            tmp = None
        except BaseException as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            _remove_folders(created)
            if isinstance(exc, OSError) and not isinstance(exc, RAIError):
                raise OutputWriteError(_cannot(given, exc, kept=existed)) from None
            raise
    return given


def write_text_atomic(
    path: str | os.PathLike[str], text: str, *, inputs: Inputs = (), flag: str = "--output"
) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`write_bytes_atomic`).

    Characters UTF-8 cannot encode (lone surrogates from odd data) are written as ``\\udXXX``
    escapes rather than failing the whole write.
    """
    data = text.encode("utf-8", "backslashreplace")
    return write_bytes_atomic(path, data, inputs=inputs, flag=flag)


def write_output(
    path: str | os.PathLike[str],
    content: str | bytes,
    *,
    inputs: Inputs = (),
    flag: str = "--output",
) -> Path:
    """Write ``content`` to ``path`` atomically, or to standard output if ``path`` is ``-``."""
    if not is_stdout(path):
        if isinstance(content, bytes):
            return write_bytes_atomic(path, content, inputs=inputs, flag=flag)
        return write_text_atomic(path, content, inputs=inputs, flag=flag)
    if isinstance(content, str):
        try:
            sys.stdout.write(content)
        except UnicodeEncodeError:  # a terminal that cannot show some character: escape it
            encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
            sys.stdout.write(content.encode(encoding, "backslashreplace").decode(encoding))
    else:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            raise OutputError("cannot write binary output to this standard output")
        sys.stdout.flush()
        buffer.write(content)
    sys.stdout.flush()
    return Path(STDOUT)
