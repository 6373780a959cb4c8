"""Files a user uploads to the review app: size-limited, read with one clear error, models safe.

Pickle and joblib models run arbitrary code when loaded, so the server refuses them (told apart by
their content, not their name) unless its operator sets ``RAI_TRUST_UPLOADED_MODELS=1``; ``.skops``
models load through :func:`responsible_ai.models.load_model`, the CLI's allowlist and checks.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError, UntrustedModelError
from responsible_ai.models import PICKLE_SUFFIXES, SKOPS_SUFFIXES, model_file_kind

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_UPLOAD_ENV",
    "TABLE_SUFFIXES",
    "TRUST_MODELS_ENV",
    "load_uploaded_model",
    "max_upload_bytes",
    "read_uploaded_table",
    "trust_uploaded_models",
]

MAX_UPLOAD_ENV = "RAI_MAX_UPLOAD_MB"
TRUST_MODELS_ENV = "RAI_TRUST_UPLOADED_MODELS"
DEFAULT_MAX_UPLOAD_MB = 200
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")

UPLOADED_PICKLE_REFUSED = (
    "{name} is a {kind} file: loading it would run whatever code its author put in it, so this "
    "server refuses it. Save the model with skops.io.dump and upload the .skops file (the "
    "server's operator can allow pickles with " + TRUST_MODELS_ENV + "=1)"
)


def max_upload_bytes() -> int:
    """The upload size limit: ``$RAI_MAX_UPLOAD_MB`` megabytes (default 200)."""
    text = os.environ.get(MAX_UPLOAD_ENV, str(DEFAULT_MAX_UPLOAD_MB))
    try:
        megabytes = int(text)
    except ValueError:
        megabytes = 0
    if megabytes < 1:
        raise InputError(f"{MAX_UPLOAD_ENV} must be a whole number of megabytes >= 1; got {text!r}")
    return megabytes * 1024 * 1024


def trust_uploaded_models() -> bool:
    """Whether the operator allows pickle/joblib uploads (``RAI_TRUST_UPLOADED_MODELS=1``)."""
    return os.environ.get(TRUST_MODELS_ENV, "").strip().lower() in ("1", "true", "yes")


def _check_size(name: str, content: bytes) -> None:
    limit = max_upload_bytes()
    if len(content) > limit:
        raise InputError(
            f"{name} is {len(content) / 1e6:.1f} MB, over the upload limit of "
            f"{limit // (1024 * 1024)} MB; upload a sample of the rows or raise {MAX_UPLOAD_ENV}"
        )
    if not content:
        raise InputError(f"{name} is empty (0 bytes); upload the file again")


def read_uploaded_table(name: str, content: bytes) -> pd.DataFrame:
    """Read an uploaded CSV, TSV or Parquet file.

    Raises
    ------
    InputError
        Wrong file type, too large, empty, unreadable, or without rows, naming the file and fix.
    """

    suffix = Path(name).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(
            f"{name} is not a data table: upload a .csv, .tsv or .parquet file "
            f"(got {suffix or 'no extension'})"
        )
    _check_size(name, content)
    from responsible_ai.data_files import read_table

    # The same reader as the command line: one set of checks for every way data comes in.
    with tempfile.TemporaryDirectory(prefix="rai-upload-") as directory:
        path = Path(directory) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            frame = read_table(path)
        except InputError as exc:
            raise InputError(str(exc).replace(str(path), name)) from None
    if frame.empty or len(frame.columns) < 2:
        raise InputError(
            f"{name} has {len(frame)} row(s) and {len(frame.columns)} column(s); an audit needs "
            f"rows and at least a sensitive column and an outcome column"
        )
    frame.columns = [str(column) for column in frame.columns]
    return frame


def load_uploaded_model(name: str, content: bytes) -> Any:
    """Load an uploaded model: ``.skops`` safely; pickle/joblib only if the server trusts them.

    Raises
    ------
    UntrustedModelError
        A pickle or joblib file while ``RAI_TRUST_UPLOADED_MODELS`` is not set, or a ``.skops``
        file holding types outside scikit-learn, NumPy and SciPy.
    InputError
        Wrong file type, too large, empty or unreadable.
    """
    from responsible_ai.models import load_model

    suffix = Path(name).suffix.lower()
    trusted = trust_uploaded_models()
    if suffix not in SKOPS_SUFFIXES + PICKLE_SUFFIXES:
        raise InputError(
            f"{name} is not a model file: upload a .skops file saved with skops.io.dump "
            f"(got {suffix or 'no extension'})"
        )
    _check_size(name, content)
    kind = model_file_kind(content[:8], suffix)
    if kind in ("pickle", "joblib") and not trusted:
        raise UntrustedModelError(UPLOADED_PICKLE_REFUSED.format(name=name, kind=kind))
    with tempfile.TemporaryDirectory(prefix="rai-upload-") as directory:
        path = Path(directory) / f"model{suffix}"
        path.write_bytes(content)
        try:
            return load_model(path, trust_model=trusted)
        except InputError as exc:
            raise type(exc)(str(exc).replace(str(path), name)) from None
