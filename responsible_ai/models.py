"""Loading model files safely.

``.skops`` files are loaded with skops' trusted-types mechanism: types from scikit-learn, NumPy and
SciPy are trusted, anything else must be trusted explicitly. Pickle and joblib files run arbitrary
code when loaded, so they are refused unless the user opts in with ``trust_model=True``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from responsible_ai.errors import InputError, UntrustedModelError

__all__ = ["PICKLE_SUFFIXES", "SKOPS_SUFFIXES", "load_model"]

SKOPS_SUFFIXES = (".skops",)
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav")
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")

PICKLE_REFUSED = (
    "{path} is a {kind} file: loading it runs whatever code its author put in it. Save the model "
    "with skops.io.dump as .skops, or pass --trust-model (trust_model=True) if you trust its source"
)


def load_model(path: str | os.PathLike[str], trust_model: bool = False) -> Any:
    """Load a fitted estimator from ``.skops`` (safe) or pickle/joblib (only with ``trust_model``).

    Raises
    ------
    UntrustedModelError
        A pickle without ``trust_model``, or a ``.skops`` file holding types outside scikit-learn,
        NumPy and SciPy without ``trust_model``.
    InputError
        The file is missing, has an unknown suffix or cannot be read.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"model file not found: {file}")
    suffix = file.suffix.lower()
    if suffix in SKOPS_SUFFIXES:
        return _load_skops(file, trust_model)
    if suffix in PICKLE_SUFFIXES:
        if not trust_model:
            kind = "joblib" if suffix == ".joblib" else "pickle"
            raise UntrustedModelError(PICKLE_REFUSED.format(path=file, kind=kind))
        import joblib

        try:
            return joblib.load(file)
        except Exception as exc:
            raise InputError(f"cannot load model {file}: {exc}") from exc
    raise InputError(
        f"cannot load model {file}: unknown file type {suffix or '(none)'}; "
        f"use .skops (or .pkl/.joblib with --trust-model)"
    )


def _load_skops(file: Path, trust_model: bool) -> Any:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=file)
    except Exception as exc:
        raise InputError(f"cannot read model {file} as a skops file: {exc}") from exc
    unknown = [name for name in untrusted if not name.startswith(_TRUSTED_PREFIXES)]
    if unknown and not trust_model:
        raise UntrustedModelError(
            f"{file} contains types outside scikit-learn, NumPy and SciPy "
            f"({', '.join(sorted(unknown))}); loading them may run their code. "
            f"Pass --trust-model (trust_model=True) if you trust its source"
        )
    try:
        return sio.load(file, trusted=list(untrusted))
    except Exception as exc:
        raise InputError(f"cannot load model {file}: {exc}") from exc
