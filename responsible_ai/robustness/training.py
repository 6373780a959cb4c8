"""The model's training data (``data.train``): where it may come from, read and checked up front.

A policy may come from someone else, so ``data.train`` in a policy resolves only inside the
folder of the policy file that sets it (like ``extends``; see
:mod:`responsible_ai.policy.named_files`): a policy must not make the auditor read other files.
A path given by the user (``--train``, ``audit(..., train=...)``) is read as given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from responsible_ai.data_files import read_table
from responsible_ai.errors import InputError
from responsible_ai.hashing import sha256_file, sha256_frame
from responsible_ai.policy.named_files import named_file

if TYPE_CHECKING:
    from responsible_ai.policy.loader import LoadedPolicy

__all__ = ["TRAIN_MISSING_COLUMNS", "TRAIN_OUTSIDE", "load_training_data"]

TRAIN_OUTSIDE = (
    "data.train {path!r} is outside the policy's folder {home}; keep the training data in that "
    "folder or give it with --train FILE (audit(..., train=...))"
)
TRAIN_MISSING_COLUMNS = (
    "the training data {name} lacks column(s) {columns} that the audited data has; give the "
    "data the model was trained on"
)


def load_training_data(
    train: pd.DataFrame | str | os.PathLike[str] | None,
    policy_train: str | None,
    loaded: LoadedPolicy,
    columns: list[str],
) -> tuple[pd.DataFrame | None, dict[str, Any] | None]:
    """The training frame and its provenance (path, sha256, rows), or (None, None).

    Parameters
    ----------
    train : DataFrame or path, optional
        Given by the user; wins over the policy.
    policy_train : str, optional
        ``data.train`` of the policy, relative to the folder of the policy file that sets it
        (the current folder for a policy given as a dict or object).
    loaded : LoadedPolicy
        The policy, with where each of its fields was set.
    columns : list of str
        Columns the training data must have (the model's features and the target).

    Raises
    ------
    InputError
        The file is missing, unreadable, outside the policy's folder, or lacks a column.
    """
    path: Path | None = None
    if isinstance(train, pd.DataFrame):
        frame = train
    elif train is not None:
        path = Path(train)
    elif policy_train is not None:
        path = named_file(loaded, ("data", "train"), policy_train, TRAIN_OUTSIDE)
    else:
        return None, None
    if path is not None:
        if not path.is_file():
            raise InputError(
                f"training data file {str(path)!r} does not exist (data.train, --train)"
            )
        frame = read_table(path)
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    name = repr(str(path)) if path is not None else "(in memory)"
    if missing:
        raise InputError(TRAIN_MISSING_COLUMNS.format(name=name, columns=missing))
    if len(frame) == 0:
        raise InputError(f"the training data {name} is empty")
    source = {
        "path": str(path) if path is not None else None,
        "sha256": sha256_file(path) if path is not None else sha256_frame(frame),
        "rows": len(frame),
        "columns": len(frame.columns),
    }
    return frame.reset_index(drop=True), source
