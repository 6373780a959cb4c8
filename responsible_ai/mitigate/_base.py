"""What every mitigator shares: splitting sensitive columns off, binary labels, routing weights.

Every mitigator here is a scikit-learn classifier that wraps the model's own (unfitted) pipeline.
``fit(X, y)`` takes the features *and* the sensitive columns named by ``sensitive``; whether
``predict`` needs the sensitive columns too is what :attr:`uses_sensitive_at_decision` says, and
the fitted ``feature_names_in_`` lists exactly the columns ``predict`` reads.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone

__all__ = [
    "MISSING_SENSITIVE",
    "NOT_A_FRAME",
    "NOT_BINARY",
    "MitigatorBase",
    "forget_requests",
    "group_labels",
    "weighted_fit_clone",
]

NOT_BINARY = (
    "mitigation needs a binary target: {name} got {count} classes ({classes}); "
    "set data.positive_label in the policy"
)
NOT_A_FRAME = (
    "{name} needs a pandas DataFrame with named columns (the features and the sensitive "
    "columns {sensitive}); got {kind}"
)
MISSING_SENSITIVE = (
    "{name} needs the sensitive column(s) {missing} in X; the data has no such column"
)
SENSITIVE_REQUIRED = "The 'sensitive' parameter of {name} must name at least one column. Got {got}."


def group_labels(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One label per row for the (intersectional) group of ``columns``: ``"female / under 25"``."""
    parts = [frame[column].astype("string").fillna("(missing)") for column in columns]
    label = parts[0]
    for part in parts[1:]:
        label = label + " / " + part
    return pd.Series(label.to_numpy(dtype=object), index=frame.index, name=" / ".join(columns))


def weighted_fit_clone(estimator: Any) -> Any:
    """A clone of ``estimator`` whose final step asks for ``sample_weight`` (metadata routing).

    Every other step that could take weights is told not to, so that a ``Pipeline`` routes the
    weights to the classifier only. Fit it inside ``sklearn.config_context(
    enable_metadata_routing=True)``.
    """
    import sklearn

    copy = clone(estimator)
    final = copy.steps[-1][1] if hasattr(copy, "steps") else copy
    with sklearn.config_context(enable_metadata_routing=True):
        for item in [copy, *copy.get_params(deep=True).values()]:
            if not isinstance(item, BaseEstimator) or not hasattr(item, "set_fit_request"):
                continue
            if "sample_weight" in inspect.signature(item.fit).parameters:
                item.set_fit_request(sample_weight=item is final)
    return copy


def forget_requests(fitted: Any) -> Any:
    """Drop the routing requests from a fitted estimator tree: a saved model holds none."""
    seen: set[int] = set()
    stack = [fitted]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, BaseEstimator):
            item.__dict__.pop("_metadata_request", None)
            stack.extend(vars(item).values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return fitted


class MitigatorBase(ClassifierMixin, BaseEstimator):
    """Shared fitting helpers; subclasses set ``uses_sensitive_at_decision``.

    Not run through ``parametrize_with_checks``: every mitigator needs a DataFrame holding the
    named sensitive columns and a binary target, which scikit-learn's generic checks (NumPy
    arrays, multi-class targets) do not give; tests/mitigate covers the estimator contract
    (clone, fit returns self, fitted attributes, save and load) on real data instead.
    """

    #: Whether ``predict`` reads the sensitive columns (disparate treatment where forbidden).
    uses_sensitive_at_decision: bool = False

    estimator: Any
    sensitive: Sequence[str]
    positive_label: Any

    def _check_frame(self, X: Any) -> pd.DataFrame:
        name = type(self).__name__
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                NOT_A_FRAME.format(name=name, sensitive=list(self.sensitive), kind=type(X).__name__)
            )
        missing = [column for column in self.sensitive if column not in X.columns]
        if missing:
            raise ValueError(MISSING_SENSITIVE.format(name=name, missing=missing))
        return X

    def _prepare_fit(self, X: Any, y: Any) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
        """(features, 0/1 target, group labels); sets ``classes_`` and ``features_``."""
        name = type(self).__name__
        if isinstance(self.sensitive, str) or not list(self.sensitive or []):
            raise ValueError(SENSITIVE_REQUIRED.format(name=name, got=repr(self.sensitive)))
        frame = self._check_frame(X)
        target = np.asarray(y)
        classes = np.unique(target)
        if len(classes) != 2:
            shown = ", ".join(map(str, classes[:5]))
            raise ValueError(NOT_BINARY.format(name=name, count=len(classes), classes=shown))
        positive = self.positive_label if self.positive_label is not None else classes[-1]
        if positive not in set(classes.tolist()):
            raise ValueError(f"positive_label {positive!r} is not one of the classes {classes}")
        self.classes_ = classes
        self.positive_index_ = int(np.flatnonzero(classes == positive)[0])
        self.features_ = [c for c in frame.columns if c not in set(self.sensitive)]
        binary = (target == positive).astype(np.int64)
        return frame[self.features_], binary, group_labels(frame, list(self.sensitive))

    def explained_model(self) -> tuple[Any, Any] | None:
        """(pipeline, its favourable class) when this model decides exactly as that pipeline;
        explanations use it (exact SHAP). None: explain this model as a black box."""
        return None

    def _set_inputs(self, columns: Sequence[str]) -> None:
        self.feature_names_in_ = np.asarray(list(columns), dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)

    def _labels(self, positive: np.ndarray) -> np.ndarray:
        """0/1 decisions as the original class labels."""
        negative_index = 1 - self.positive_index_
        index = np.where(np.asarray(positive, dtype=bool), self.positive_index_, negative_index)
        return self.classes_[index]

    def _proba(self, positive: np.ndarray) -> np.ndarray:
        """Probabilities of the positive class as a two-column ``predict_proba`` array."""
        out = np.empty((len(positive), 2))
        out[:, self.positive_index_] = positive
        out[:, 1 - self.positive_index_] = 1.0 - np.asarray(positive, dtype=float)
        return out
