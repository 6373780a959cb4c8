"""Loading model files safely.

What a file is comes from its first bytes, never from its name. A ``.skops`` file (a zip archive
holding ``schema.json``) loads when every type it names is on this tool's enumerated allowlist
(:func:`responsible_ai.model_trust.trusted_model_types`); pickle and joblib files run arbitrary
code when loaded, so they, and ``.skops`` files naming other types, load only when the user opts in
with ``trust_model=True`` (``--trust-model``). The CLI, the Python API and the app's uploads all
load models through :func:`load_model`.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any, Literal

from responsible_ai.errors import InputError, UntrustedModelError

__all__ = [
    "PICKLE_SUFFIXES",
    "SKOPS_SUFFIXES",
    "load_model",
    "model_file_kind",
    "readable_names",
]

SKOPS_SUFFIXES = (".skops",)
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav")

ModelKind = Literal["skops", "pickle", "joblib", "unknown"]

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_PICKLE_PROTOCOL = 0x80  # the PROTO opcode every pickle of protocol 2 or later starts with
_JOBLIB_MAGIC = (  # joblib's compressed formats (joblib.compressor)
    b"ZF",
    b"\x78",
    b"\x1f\x8b",
    b"BZ",
    b"\xfd7zXZ",
    b"\x5d\x00",
    b"\x04\x22\x4d\x18",
)
MAX_SCHEMA_BYTES = 256 * 1024 * 1024
MAX_NAMES_SHOWN = 6
MAX_NAME_CHARS = 80
MAX_REASON_CHARS = 200

MODEL_NOT_FOUND = "model file not found: {path}"
MODEL_IS_DIRECTORY = "{path} is a directory, not a model file; give the .skops file inside it"
MODEL_NOT_REGULAR = "{path} is not a regular file; give a .skops model file"
MODEL_EMPTY = "{path} is empty (0 bytes); save the model again with skops.io.dump"
MODEL_UNREADABLE = "cannot read model {path}: {reason}"
UNKNOWN_SUFFIX = (
    "cannot load model {path}: unknown file type {suffix}; "
    "use .skops (or .pkl/.joblib with --trust-model)"
)
NOT_A_MODEL = (
    "{path} is not a model file: it is neither a skops archive nor a pickle or joblib file; "
    "save the model with skops.io.dump"
)
ZIP_NAMED_PICKLE = (
    "{path} is a zip archive (a skops file?) but is named {suffix}; rename it to .skops"
)
PICKLE_NAMED_SKOPS = (
    "{path} is named .skops but holds a {kind} file, not a skops archive; loading it would run "
    "whatever code its author put in it. Save the model with skops.io.dump"
)
PICKLE_REFUSED = (
    "{path} is a {kind} file: loading it runs whatever code its author put in it. Save the model "
    "with skops.io.dump as .skops, or pass --trust-model (trust_model=True) if you trust its source"
)
SKOPS_DAMAGED = (
    "cannot read {path} as a skops file: the zip archive is damaged or truncated ({reason}); "
    "save the model again with skops.io.dump"
)
SKOPS_NO_SCHEMA = (
    "{path} is a zip archive without schema.json, not a skops file; "
    "save the model with skops.io.dump"
)
SKOPS_BAD_SCHEMA = (
    "cannot read {path} as a skops file: its schema.json {reason}; "
    "save the model again with skops.io.dump"
)
UNTRUSTED_TYPES = (
    "{path} holds types this tool does not trust: {names}; loading them could run their code. "
    "Pass --trust-model (trust_model=True) only if you trust the file's source"
)
SKOPS_UNLOADABLE = "cannot load model {path}: {reason}; save the model again with skops.io.dump"
PICKLE_UNLOADABLE = "cannot load model {path}: {reason}"
NOT_AN_ESTIMATOR = (
    "{path} holds a {kind}, not a fitted model: it has no predict method; "
    "save the fitted estimator or pipeline itself"
)


def _escaped(text: str, limit: int) -> str:
    text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def readable_names(names: list[str]) -> str:
    """Names from a file, shown on one line: control characters escaped, long lists cut short."""
    shown = [_escaped(name, MAX_NAME_CHARS) for name in names[:MAX_NAMES_SHOWN]]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _one_line(error: BaseException) -> str:
    """An exception's message as one escaped line: it may quote the file's own content."""
    if isinstance(error, KeyError):
        return f"a node lacks the field {_escaped(str(error), MAX_NAME_CHARS)}"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    text = str(error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return _escaped(first, MAX_REASON_CHARS)


def model_file_kind(head: bytes, suffix: str = "") -> ModelKind:
    """What a model file holds, from its first bytes: a skops (zip) archive, a pickle, joblib.

    An uncompressed joblib file is a pickle; ``suffix`` only names it as the user does.
    """
    if head.startswith(_ZIP_MAGIC):
        return "skops"
    if head[:1] == bytes([_PICKLE_PROTOCOL]):
        return "joblib" if suffix.lower() == ".joblib" else "pickle"
    if head.startswith(_JOBLIB_MAGIC):
        return "joblib"
    return "unknown"


def _read_head(file: Path) -> bytes:
    try:
        info = file.stat()
    except FileNotFoundError:
        raise InputError(MODEL_NOT_FOUND.format(path=file)) from None
    except OSError as exc:
        raise InputError(MODEL_UNREADABLE.format(path=file, reason=_one_line(exc))) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(MODEL_IS_DIRECTORY.format(path=file))
    if not stat.S_ISREG(info.st_mode):  # a FIFO would block the open below
        raise InputError(MODEL_NOT_REGULAR.format(path=file))
    if info.st_size == 0:
        raise InputError(MODEL_EMPTY.format(path=file))
    try:
        with file.open("rb") as handle:
            return handle.read(8)
    except OSError as exc:
        raise InputError(MODEL_UNREADABLE.format(path=file, reason=_one_line(exc))) from None


def load_model(path: str | os.PathLike[str], trust_model: bool = False) -> Any:
    """Load a fitted estimator from ``.skops`` (safe) or pickle/joblib (only with ``trust_model``).

    Raises
    ------
    UntrustedModelError
        A pickle or joblib file without ``trust_model``, or a ``.skops`` file naming types outside
        the allowlist without ``trust_model``.
    InputError
        The file is missing, not a regular file, empty, named as another kind than it holds,
        damaged, or cannot be built into a model.
    """
    file = Path(path)
    model = _load(file, trust_model)
    if not callable(getattr(model, "predict", None)):
        kind = readable_names([type(model).__name__])
        raise InputError(NOT_AN_ESTIMATOR.format(path=file, kind=kind))
    return model


def _load(file: Path, trust_model: bool) -> Any:
    head = _read_head(file)
    suffix = file.suffix.lower()
    if suffix not in SKOPS_SUFFIXES + PICKLE_SUFFIXES:
        raise InputError(UNKNOWN_SUFFIX.format(path=file, suffix=suffix or "(none)"))
    kind = model_file_kind(head, suffix)
    if kind == "unknown":
        raise InputError(NOT_A_MODEL.format(path=file))
    if kind == "skops":
        if suffix not in SKOPS_SUFFIXES:
            raise InputError(ZIP_NAMED_PICKLE.format(path=file, suffix=suffix))
        return _load_skops(file, trust_model)
    if suffix in SKOPS_SUFFIXES:
        raise UntrustedModelError(PICKLE_NAMED_SKOPS.format(path=file, kind=kind))
    if not trust_model:
        raise UntrustedModelError(PICKLE_REFUSED.format(path=file, kind=kind))
    import joblib

    try:
        return joblib.load(file)
    except Exception as exc:
        raise InputError(PICKLE_UNLOADABLE.format(path=file, reason=_one_line(exc))) from None


def _check_archive(file: Path) -> None:
    """Fail with one line on anything skops would choke on before it looks at a type."""
    try:
        with zipfile.ZipFile(file) as archive:
            try:
                info = archive.getinfo("schema.json")
            except KeyError:
                raise InputError(SKOPS_NO_SCHEMA.format(path=file)) from None
            if info.file_size > MAX_SCHEMA_BYTES:
                reason = f"is {info.file_size} bytes, over {MAX_SCHEMA_BYTES}"
                raise InputError(SKOPS_BAD_SCHEMA.format(path=file, reason=reason))
            text = archive.read(info)
            bad = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise InputError(SKOPS_DAMAGED.format(path=file, reason=_one_line(exc))) from None
    if bad is not None:
        reason = f"bad checksum in {readable_names([bad])}"
        raise InputError(SKOPS_DAMAGED.format(path=file, reason=reason))
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = f"is not JSON ({_one_line(exc)})"
        raise InputError(SKOPS_BAD_SCHEMA.format(path=file, reason=reason)) from None
    if not isinstance(schema, dict):
        raise InputError(SKOPS_BAD_SCHEMA.format(path=file, reason="is not a JSON object"))


def _load_skops(file: Path, trust_model: bool) -> Any:
    import skops.io as sio

    from responsible_ai.model_trust import check_tree_structures, is_trusted_model_type

    _check_archive(file)
    try:
        # skops' own defaults apply per kind of node; the allowlist adds enumerated classes
        named = sio.get_untrusted_types(file=file)
    except Exception as exc:
        raise InputError(SKOPS_UNLOADABLE.format(path=file, reason=_one_line(exc))) from None
    allowed = sorted({name for name in named if is_trusted_model_type(name)})
    untrusted = sorted(set(named) - set(allowed))
    if untrusted and not trust_model:
        names = readable_names(untrusted)
        raise UntrustedModelError(UNTRUSTED_TYPES.format(path=file, names=names))
    # skops audits the tree again against the names passed, each checked above (the file's
    # other names only when the user opted in), and refuses anything the listing missed.
    trusted = allowed + (untrusted if trust_model else [])
    try:
        model = sio.load(file, trusted=trusted)
    except Exception as exc:
        if type(exc).__name__ == "UntrustedTypesFoundException":
            names = readable_names([_one_line(exc)])
            raise UntrustedModelError(UNTRUSTED_TYPES.format(path=file, names=names)) from None
        raise InputError(SKOPS_UNLOADABLE.format(path=file, reason=_one_line(exc))) from None
    try:
        check_tree_structures(model, str(file))
    except InputError:
        raise
    except Exception as exc:  # a trusted type holding attributes of the wrong kind
        raise InputError(SKOPS_UNLOADABLE.format(path=file, reason=_one_line(exc))) from None
    return model
