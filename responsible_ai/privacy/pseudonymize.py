"""Keyed pseudonymization: HMAC-SHA256 of a canonical form of each value.

The same value and key always give the same pseudonym (so joins across tables survive); without the
key nobody can recompute it, unlike a plain hash which a dictionary of e-mail addresses reverses.
The key comes from an environment variable or a key file, never from code or a policy, and must look
random (:func:`responsible_ai.privacy.keys.load_key`). It is read when needed and never stored on
the transformer, printed or written anywhere: only its *key id* (an HMAC of a fixed label, which
does not reveal the key) goes into metadata. The variable and file given here are trusted: code
is the user's own; the sources a policy names are checked in :mod:`responsible_ai.privacy.pipeline`.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from responsible_ai.errors import InputError
from responsible_ai.privacy.keys import DEFAULT_KEY_ENV, KEY_CHANGED, canonical, key_id, load_key
from responsible_ai.privacy.transforms import as_frame, require_columns

__all__ = ["Pseudonymizer"]


class Pseudonymizer(TransformerMixin, BaseEstimator):
    """Replace the values of columns with keyed HMAC-SHA256 pseudonyms (hex).

    Parameters
    ----------
    columns : list of str, optional
        Columns to pseudonymize; default: every column.
    key_env : str, default "RAI_PSEUDONYMIZATION_KEY"
        Environment variable that holds the key: random, at least 32 bytes and 128 bits of
        estimated entropy (``openssl rand -hex 32``).
    key_file : str, optional
        File that holds the key (mode 600, at most 4096 bytes), used when the environment
        variable is unset.
    length : int, default 32
        Hex characters kept of the 64 of the HMAC (32 = 128 bits).

    Attributes
    ----------
    key_id_ : str
        Fingerprint of the key used, for the output's metadata.
    columns_ : list of str
        The columns pseudonymized.
    feature_names_in_ : ndarray of str
        Columns seen in ``fit``.

    Examples
    --------
    >>> import os, pandas as pd
    >>> os.environ["DOCTEST_KEY"] = (  # in real use: export it, never write it in code
    ...     "5d0c3f4ab8e1967c2fd4a07b3e9158c604e7a2bd1f6938c5e0ab47d26f1c8359"
    ... )
    >>> pseudonymizer = Pseudonymizer(columns=["email"], key_env="DOCTEST_KEY", length=16)
    >>> pseudonymizer.fit_transform(pd.DataFrame({"email": ["ann@example.org"]}))["email"][0]
    '8677212765c6f030'
    """

    def __init__(
        self,
        columns: list[str] | None = None,
        key_env: str = DEFAULT_KEY_ENV,
        key_file: str | None = None,
        length: int = 32,
    ) -> None:
        self.columns = columns
        self.key_env = key_env
        self.key_file = key_file
        self.length = length

    def fit(self, X: Any, y: Any = None) -> Pseudonymizer:
        """Check the columns and that a key is available; record its key id."""
        if not isinstance(self.length, int) or not 16 <= self.length <= 64:
            raise InputError(
                "The 'length' parameter of Pseudonymizer must be an int in the range [16, 64]. "
                f"Got {self.length!r} instead."
            )
        frame = as_frame(X, self)
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.columns_ = list(self.columns) if self.columns else list(frame.columns)
        require_columns(frame, self.columns_, "pseudonymize")
        self.key_id_ = key_id(load_key(self.key_env, self.key_file))
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Return a copy of ``X`` whose columns hold pseudonyms; missing values stay missing."""
        check_is_fitted(self, "key_id_")
        frame = as_frame(X, self, fitted=True)
        require_columns(frame, self.columns_, "pseudonymize")
        key = load_key(self.key_env, self.key_file)
        if key_id(key) != self.key_id_:
            raise InputError(KEY_CHANGED.format(was=self.key_id_, now=key_id(key)))
        out = frame.copy()
        cache: dict[str, str] = {}
        for column in self.columns_:
            series = out[column]
            values: list[str | None] = []
            for value in series.tolist():
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    values.append(None)
                    continue
                text = canonical(value)
                if text not in cache:
                    digest = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
                    cache[text] = digest[: self.length]
                values.append(cache[text])
            out[column] = pd.array(values, dtype="str")
        return out
