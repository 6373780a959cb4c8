"""Reweighing (Kamiran and Calders, 2012): weights that make the label independent of the group.

A row of group ``g`` with label ``y`` gets ``w = P(g) P(y) / P(g, y)``, from the per-group counts
of :func:`responsible_ai.fairness.groups.count_groups` (the same counts every fairness metric
uses). Weighted, every group then has the overall base rate. The weights reach the classifier of
a ``Pipeline`` as ``sample_weight`` through scikit-learn's metadata routing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.utils.validation import check_is_fitted

from responsible_ai.fairness.groups import count_groups, group_index
from responsible_ai.mitigate._base import MitigatorBase, forget_requests, weighted_fit_clone

__all__ = ["ReweighingClassifier", "reweighing_weights"]

STRENGTH_RANGE = (
    "The 'strength' parameter of ReweighingClassifier must be a float in the range [0, 1]. "
    "Got {got!r} instead."
)


def reweighing_weights(
    frame: pd.DataFrame, by: Sequence[str], positive: np.ndarray, strength: float = 1.0
) -> np.ndarray:
    """Kamiran-Calders weights ``P(g) P(y) / P(g, y)`` for every row.

    Parameters
    ----------
    frame : DataFrame
        Holds the ``by`` columns.
    by : sequence of str
        Sensitive columns; several give intersectional groups.
    positive : ndarray of bool
        Whether each row's label is the favourable one.
    strength : float, default 1.0
        ``w ** strength``: 1 is Kamiran and Calders, 0 leaves every weight at 1.

    Returns
    -------
    ndarray of float
        One weight per row; a (group, label) cell with rows always has a finite weight.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> frame = pd.DataFrame({"g": ["a", "a", "a", "b"]})
    >>> reweighing_weights(frame, ["g"], np.array([True, True, False, False])).round(4).tolist()
    [0.75, 0.75, 1.5, 0.5]
    """
    index = group_index(frame, list(by))
    labels = np.asarray(positive, dtype=bool)
    counts = count_groups(index, list(by), labels).rows.astype(float)  # (groups, [neg, pos])
    total = counts.sum()
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        table = np.where(counts > 0, expected / counts, 0.0)
    weights = table[index.codes, labels.astype(np.int64)]
    return weights if strength == 1.0 else weights**strength


class ReweighingClassifier(MitigatorBase):
    """Fit the model's pipeline with Kamiran-Calders weights from the sensitive groups.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Unfitted; its final step must accept ``sample_weight``.
    sensitive : list of str
        Sensitive columns of ``X`` (several: intersectional groups); used at fit time only.
    positive_label : optional
        The favourable class (default: the larger class label).
    strength : float, default 1.0
        Exponent of the weights (1: Kamiran and Calders; 0: unweighted).

    Attributes
    ----------
    estimator_ : the fitted pipeline, on the features only.
    sample_weight_ : ndarray, the training weights.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import pandas as pd
    >>> X = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5], "g": list("aaabbb")})
    >>> model = ReweighingClassifier(LogisticRegression(), sensitive=["g"])
    >>> model = model.fit(X, [0, 0, 1, 0, 1, 1])
    >>> model.predict(X[["x"]]).tolist()
    [0, 0, 0, 1, 1, 1]
    """

    uses_sensitive_at_decision = False

    def __init__(
        self,
        estimator: Any,
        *,
        sensitive: Sequence[str] = (),
        positive_label: Any = None,
        strength: float = 1.0,
    ) -> None:
        self.estimator = estimator
        self.sensitive = sensitive
        self.positive_label = positive_label
        self.strength = strength

    def fit(self, X: Any, y: Any) -> ReweighingClassifier:
        """Weight the rows by group and label, then fit the pipeline with those weights."""
        if not isinstance(self.strength, int | float) or not 0.0 <= self.strength <= 1.0:
            raise ValueError(STRENGTH_RANGE.format(got=self.strength))
        features, binary, _ = self._prepare_fit(X, y)
        weights = reweighing_weights(X, list(self.sensitive), binary == 1, float(self.strength))
        model = weighted_fit_clone(self.estimator)
        with sklearn.config_context(enable_metadata_routing=True):
            model.fit(features, binary, sample_weight=weights)
        self.estimator_ = forget_requests(model)
        self.sample_weight_ = weights
        self._set_inputs(self.features_)
        return self

    def explained_model(self) -> tuple[Any, Any] | None:
        """The reweighed pipeline decides: explain it (its favourable class is 1)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_, 1

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities from the reweighed pipeline, columns in ``classes_`` order."""
        check_is_fitted(self, "estimator_")
        return self._proba(self.estimator_.predict_proba(X[self.features_])[:, 1])

    def predict(self, X: Any) -> np.ndarray:
        """Decisions of the reweighed pipeline, as the original labels."""
        check_is_fitted(self, "estimator_")
        return self._labels(self.estimator_.predict(X[self.features_]) == 1)
