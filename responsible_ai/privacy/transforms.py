"""Column transforms for releasing data: drop, mask and record suppression.

Each is a scikit-learn transformer that takes and returns a pandas DataFrame. Generalization lives
in :mod:`responsible_ai.privacy.generalize`, keyed pseudonymization in
:mod:`responsible_ai.privacy.pseudonymize`, Mondrian k-anonymization in
:mod:`responsible_ai.privacy.mondrian`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from responsible_ai.errors import InputError

__all__ = [
    "MISSING_COLUMNS",
    "SUPPRESSION_OVER_BUDGET",
    "ColumnDropper",
    "InvalidInputError",
    "Masker",
    "RecordSuppressor",
    "SparseInputError",
    "as_frame",
    "require_columns",
]

MISSING_COLUMNS = "{action}: column(s) {columns} are not in the data (columns: {available})"
SUPPRESSION_OVER_BUDGET = (
    "reaching k={k} on {qis} needs suppressing {count} record(s) ({share:.2%}), more than the "
    "budget max_suppression={budget:g}; generalize the quasi-identifiers more (or use "
    "k_anonymize), or raise the budget"
)


class InvalidInputError(InputError, ValueError):
    """Data a transformer cannot work on (a ValueError too, as scikit-learn expects)."""


class SparseInputError(InputError, TypeError):
    """Sparse matrices are not supported (a TypeError too, as scikit-learn expects)."""


def as_frame(X: Any, estimator: Any = None, fitted: bool = False) -> pd.DataFrame:
    """``X`` as a DataFrame; arrays get the column names ``x0``, ``x1``, ...

    Refuses sparse, one-dimensional, complex and empty input with scikit-learn's messages, and,
    once ``fitted``, an array whose number of columns differs from the one seen in ``fit``.
    """
    name = type(estimator).__name__ if estimator is not None else "this transformer"
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise SparseInputError(
            f"{name} does not support sparse input; pass a dense array or a DataFrame"
        )
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise InvalidInputError(
                f"Expected 2D array, got {array.ndim}D array instead. Reshape your data either "
                "using array.reshape(-1, 1) if your data has a single feature or "
                "array.reshape(1, -1) if it contains a single sample."
            )
        if np.iscomplexobj(array):
            raise InvalidInputError("Complex data not supported")
        if fitted and estimator is not None and array.shape[1] != estimator.n_features_in_:
            raise InvalidInputError(
                f"X has {array.shape[1]} features, but {name} is expecting "
                f"{estimator.n_features_in_} features as input."
            )
        frame = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    if frame.shape[1] == 0:
        raise InvalidInputError(
            f"Found array with 0 feature(s) (shape={frame.shape}) while a minimum of 1 is "
            f"required by {name}."
        )
    if len(frame) == 0:
        raise InvalidInputError(
            f"Found array with 0 sample(s) (shape={frame.shape}) while a minimum of 1 is "
            f"required by {name}."
        )
    return frame


def require_columns(frame: pd.DataFrame, columns: list[str], action: str) -> None:
    """Raise :class:`InputError` naming the columns that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        available = ", ".join(map(str, list(frame.columns)[:12]))
        raise InputError(
            MISSING_COLUMNS.format(action=action, columns=", ".join(missing), available=available)
        )


class _ColumnTransformer(TransformerMixin, BaseEstimator):
    def _fit_columns(self, X: Any, action: str) -> pd.DataFrame:
        frame = as_frame(X, self)
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        columns = getattr(self, "columns", None)
        self.columns_ = list(columns) if columns else list(frame.columns)
        require_columns(frame, self.columns_, action)
        return frame


class ColumnDropper(_ColumnTransformer):
    """Remove columns.

    Parameters
    ----------
    columns : list of str
        Columns to remove.

    Examples
    --------
    >>> import pandas as pd
    >>> ColumnDropper(["name"]).fit_transform(pd.DataFrame({"name": ["Ann"], "n": [1]}))
       n
    0  1
    """

    def __init__(self, columns: list[str] | None = None) -> None:
        self.columns = columns

    def fit(self, X: Any, y: Any = None) -> ColumnDropper:
        """Check that the columns exist."""
        self._fit_columns(X, "drop")
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Return ``X`` without the columns."""
        check_is_fitted(self, "columns_")
        frame = as_frame(X, self, fitted=True)
        require_columns(frame, self.columns_, "drop")
        return frame.drop(columns=self.columns_)


class Masker(_ColumnTransformer):
    """Hide all but the last characters of each value (``+1 212-555-8431`` -> ``**********8431``).

    A value no longer than ``keep_last`` is masked whole, so no value is ever shown entirely.

    Parameters
    ----------
    columns : list of str, optional
        Columns to mask; default: every column.
    keep_last : int, default 4
        Characters left visible at the end.
    mask_char : str, default "*"
        The masking character.

    Examples
    --------
    >>> import pandas as pd
    >>> Masker(["phone"], keep_last=2).fit_transform(pd.DataFrame({"phone": ["555-0199"]}))
          phone
    0  ******99
    """

    def __init__(
        self, columns: list[str] | None = None, keep_last: int = 4, mask_char: str = "*"
    ) -> None:
        self.columns = columns
        self.keep_last = keep_last
        self.mask_char = mask_char

    def fit(self, X: Any, y: Any = None) -> Masker:
        """Check the parameters and the columns."""
        if not isinstance(self.keep_last, int) or self.keep_last < 0:
            raise InputError(
                "The 'keep_last' parameter of Masker must be an int >= 0. "
                f"Got {self.keep_last!r} instead."
            )
        if not isinstance(self.mask_char, str) or len(self.mask_char) != 1:
            raise InputError(
                "The 'mask_char' parameter of Masker must be one character. "
                f"Got {self.mask_char!r} instead."
            )
        self._fit_columns(X, "mask")
        return self

    def _mask(self, value: Any) -> Any:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        text = str(value)
        keep = self.keep_last if len(text) > self.keep_last else 0
        return self.mask_char * (len(text) - keep) + (text[len(text) - keep :] if keep else "")

    def transform(self, X: Any) -> pd.DataFrame:
        """Return a copy of ``X`` with the columns masked; missing values stay missing."""
        check_is_fitted(self, "columns_")
        frame = as_frame(X, self, fitted=True)
        require_columns(frame, self.columns_, "mask")
        out = frame.copy()
        for column in self.columns_:
            out[column] = pd.array([self._mask(v) for v in out[column].tolist()], dtype="str")
        return out


class RecordSuppressor(TransformerMixin, BaseEstimator):
    """Remove the records of equivalence classes smaller than k, within a budget.

    Unlike most transformers this one removes rows: the output keeps the index of the rows kept.

    Parameters
    ----------
    quasi_identifiers : list of str, optional
        Columns that define the equivalence classes; default: every column.
    k : int, default 5
        Smallest class size kept.
    max_suppression : float, default 0.0
        Largest share of records that may be removed; more raises :class:`InputError`.

    Attributes
    ----------
    suppressed_ : int
        Records removed from the data seen in ``fit``.
    """

    def __init__(
        self, quasi_identifiers: list[str] | None = None, k: int = 5, max_suppression: float = 0.0
    ) -> None:
        self.quasi_identifiers = quasi_identifiers
        self.k = k
        self.max_suppression = max_suppression

    def _keep(self, frame: pd.DataFrame) -> np.ndarray:
        from responsible_ai.privacy.risk import equivalence_classes

        qis = list(self.quasi_identifiers) if self.quasi_identifiers else list(frame.columns)
        classes = equivalence_classes(frame, qis)
        keep = np.bincount(classes)[classes] >= self.k
        count = int((~keep).sum())
        if count > self.max_suppression * len(frame):
            raise InputError(
                SUPPRESSION_OVER_BUDGET.format(
                    k=self.k,
                    qis=", ".join(map(str, qis)),
                    count=count,
                    share=count / len(frame),
                    budget=self.max_suppression,
                )
            )
        return keep

    def fit(self, X: Any, y: Any = None) -> RecordSuppressor:
        """Count the records that ``transform`` removes from ``X``."""
        if not isinstance(self.k, int | np.integer) or self.k < 1:
            raise InputError(
                "The 'k' parameter of RecordSuppressor must be an int >= 1. "
                f"Got {self.k!r} instead."
            )
        frame = as_frame(X, self)
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.suppressed_ = int((~self._keep(frame)).sum())
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Return the records of ``X`` whose class has at least k records."""
        check_is_fitted(self, "suppressed_")
        frame = as_frame(X, self, fitted=True)
        return frame.loc[self._keep(frame)]
