"""In-processing and pre-processing by fairlearn: reductions and the correlation remover.

fairlearn's ``ExponentiatedGradient`` and ``GridSearch`` do the fitting; this module passes the
model's pipeline to them (sample weights routed to its classifier) and keeps what they learned in
plain scikit-learn objects, so the result saves as ``.skops`` and loads through the trusted
loader. ``deterministic=True`` keeps the single best predictor of the exponentiated-gradient
mixture (the most accurate one that meets the constraint on the training data, else the one
closest to meeting it) instead of a randomized mixture.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from responsible_ai.mitigate._base import (
    MitigatorBase,
    forget_requests,
    group_labels,
    weighted_fit_clone,
)

__all__ = ["CONSTRAINTS", "CorrelationRemoverClassifier", "ReductionClassifier"]

#: Constraint names (the policy's words) and fairlearn's moment classes.
CONSTRAINTS: dict[str, str] = {
    "demographic_parity": "DemographicParity",
    "equalized_odds": "EqualizedOdds",
    "true_positive_rate_parity": "TruePositiveRateParity",
    "error_rate_parity": "ErrorRateParity",
}
REDUCTIONS = ("exponentiated_gradient", "grid_search")
UNKNOWN_CONSTRAINT = (
    "The 'constraint' parameter of {name} must be one of {choices}. Got {got!r} instead."
)
UNKNOWN_REDUCTION = (
    "The 'method' parameter of ReductionClassifier must be one of {choices}. Got {got!r} instead."
)
BAD_BOUND = (
    "The '{param}' parameter of {name} must be a float in the range {bounds}. Got {got!r} instead."
)


def _moment(constraint: str, name: str) -> Any:
    import fairlearn.reductions as reductions

    if constraint not in CONSTRAINTS:
        choices = ", ".join(CONSTRAINTS)
        raise ValueError(UNKNOWN_CONSTRAINT.format(name=name, choices=choices, got=constraint))
    return getattr(reductions, CONSTRAINTS[constraint])()


class ReductionClassifier(MitigatorBase):
    """fairlearn's exponentiated gradient or grid search around the model's pipeline.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Unfitted; its final step must accept ``sample_weight``.
    sensitive : list of str
        Sensitive columns of ``X``; several give intersectional groups. Fit time only.
    method : {"exponentiated_gradient", "grid_search"}
    constraint : {"demographic_parity", "equalized_odds", "true_positive_rate_parity",
        "error_rate_parity"}
    eps : float, default 0.02
        Allowed constraint violation (exponentiated gradient).
    constraint_weight : float, default 0.5
        Weight of the constraint against the error when grid search picks its predictor.
    grid_size : int, default 10
        Lagrange multipliers tried by grid search.
    deterministic : bool, default True
        Exponentiated gradient: keep one predictor, not the randomized mixture. Grid search
        always keeps one.
    positive_label : optional
    random_state : int, default 0
        Seeds the draws of a randomized mixture's ``predict``.

    Attributes
    ----------
    predictors_ : list of fitted pipelines (one when deterministic)
    weights_ : ndarray, their mixture weights
    """

    uses_sensitive_at_decision = False

    def __init__(
        self,
        estimator: Any,
        *,
        sensitive: Sequence[str] = (),
        method: str = "exponentiated_gradient",
        constraint: str = "demographic_parity",
        eps: float = 0.02,
        constraint_weight: float = 0.5,
        grid_size: int = 10,
        deterministic: bool = True,
        positive_label: Any = None,
        random_state: int = 0,
    ) -> None:
        self.estimator = estimator
        self.sensitive = sensitive
        self.method = method
        self.constraint = constraint
        self.eps = eps
        self.constraint_weight = constraint_weight
        self.grid_size = grid_size
        self.deterministic = deterministic
        self.positive_label = positive_label
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> ReductionClassifier:
        """Run the reduction on the training data and keep its predictor(s)."""
        from fairlearn.reductions import ExponentiatedGradient, GridSearch

        name = type(self).__name__
        if self.method not in REDUCTIONS:
            raise ValueError(
                UNKNOWN_REDUCTION.format(choices=", ".join(REDUCTIONS), got=self.method)
            )
        if not isinstance(self.eps, int | float) or not 0.0 < self.eps <= 1.0:
            raise ValueError(
                BAD_BOUND.format(param="eps", name=name, bounds="(0, 1]", got=self.eps)
            )
        weight = self.constraint_weight
        if not isinstance(weight, int | float) or not 0.0 <= weight <= 1.0:
            raise ValueError(
                BAD_BOUND.format(param="constraint_weight", name=name, bounds="[0, 1]", got=weight)
            )
        features, binary, groups = self._prepare_fit(X, y)
        moment = _moment(self.constraint, name)
        base = weighted_fit_clone(self.estimator)
        with sklearn.config_context(enable_metadata_routing=True):
            if self.method == "exponentiated_gradient":
                reduction: Any = ExponentiatedGradient(base, moment, eps=float(self.eps))
            else:
                reduction = GridSearch(
                    base, moment, constraint_weight=float(weight), grid_size=int(self.grid_size)
                )
            reduction.fit(features, binary, sensitive_features=groups)
        if self.method == "grid_search":
            chosen = [reduction.predictors_[reduction.best_idx_]]
            weights = np.ones(1)
        else:
            support = np.flatnonzero(reduction.weights_.to_numpy() > 0)
            predictors = [reduction.predictors_[int(i)] for i in support]
            weights = reduction.weights_.to_numpy()[support]
            if self.deterministic:
                best = self._best_of(reduction, predictors, features, binary)
                chosen, weights = [predictors[best]], np.ones(1)
            else:
                chosen, weights = predictors, weights / weights.sum()
        self.predictors_ = [forget_requests(predictor) for predictor in chosen]
        self.weights_ = weights
        self._set_inputs(self.features_)
        return self

    def _best_of(
        self, reduction: Any, predictors: list[Any], features: pd.DataFrame, binary: np.ndarray
    ) -> int:
        """The most accurate predictor meeting ``eps`` on the training data, else the nearest."""
        violations, errors = [], []
        for predictor in predictors:
            gamma = reduction.constraints_.gamma(predictor.predict)
            violations.append(float(np.max(np.abs(np.asarray(gamma, dtype=float)))))
            errors.append(float(np.mean(predictor.predict(features) != binary)))
        meeting = [i for i, v in enumerate(violations) if v <= self.eps]
        if meeting:
            return min(meeting, key=lambda i: (errors[i], i))
        return min(range(len(predictors)), key=lambda i: (violations[i], errors[i], i))

    def _positive_share(self, X: Any) -> np.ndarray:
        frame = X[self.features_]
        if len(self.predictors_) == 1:  # one predictor: its own probabilities
            return np.asarray(self.predictors_[0].predict_proba(frame)[:, 1])
        votes = [predictor.predict(frame) == 1 for predictor in self.predictors_]
        return np.asarray(np.average(np.vstack(votes), axis=0, weights=self.weights_))

    def explained_model(self) -> tuple[Any, Any] | None:
        """The kept predictor when there is one (deterministic); a mixture is a black box."""
        check_is_fitted(self, "predictors_")
        return (self.predictors_[0], 1) if len(self.predictors_) == 1 else None

    def predict_proba(self, X: Any) -> np.ndarray:
        """Favourable-class probability: the kept predictor's, or the mixture's vote share."""
        check_is_fitted(self, "predictors_")
        return self._proba(self._positive_share(X))

    def predict(self, X: Any) -> np.ndarray:
        """Decisions; a randomized mixture draws with ``random_state`` (same rows, same draws)."""
        check_is_fitted(self, "predictors_")
        if len(self.predictors_) == 1:
            return self._labels(self.predictors_[0].predict(X[self.features_]) == 1)
        share = self._positive_share(X)
        draws = check_random_state(self.random_state).rand(len(share))
        return self._labels(share >= draws)


class CorrelationRemoverClassifier(MitigatorBase):
    """fairlearn's ``CorrelationRemover`` between the pipeline's encoding and its classifier.

    The encoded features are projected to be uncorrelated with the (one-hot) sensitive groups,
    by ``alpha``; the projection reads each row's group, so ``predict`` needs the sensitive
    columns: it uses the sensitive attribute at decision time.

    Parameters
    ----------
    estimator : Pipeline or estimator
        Unfitted; for a Pipeline, every step but the last encodes, the last classifies.
    sensitive : list of str
    alpha : float, default 1.0
        How much correlation to remove (0: none, 1: all).
    positive_label : optional
    """

    uses_sensitive_at_decision = True

    def __init__(
        self,
        estimator: Any,
        *,
        sensitive: Sequence[str] = (),
        alpha: float = 1.0,
        positive_label: Any = None,
    ) -> None:
        self.estimator = estimator
        self.sensitive = sensitive
        self.alpha = alpha
        self.positive_label = positive_label

    def _encoded(self, features: pd.DataFrame, groups: pd.Series) -> np.ndarray:
        encoded: Any = features if self.encoder_ is None else self.encoder_.transform(features)
        dense = np.asarray(encoded.toarray() if hasattr(encoded, "toarray") else encoded, float)
        labels = groups.to_numpy()
        indicator = np.column_stack(
            [labels == level for level in self.group_levels_[1:]] or [np.zeros((len(labels), 0))]
        ).astype(float)
        return np.hstack([dense, indicator])

    def fit(self, X: Any, y: Any) -> CorrelationRemoverClassifier:
        """Fit the encoding, the correlation remover, then the classifier on its output."""
        from fairlearn.preprocessing import CorrelationRemover

        if not isinstance(self.alpha, int | float) or not 0.0 <= self.alpha <= 1.0:
            raise ValueError(
                BAD_BOUND.format(
                    param="alpha", name=type(self).__name__, bounds="[0, 1]", got=self.alpha
                )
            )
        features, binary, groups = self._prepare_fit(X, y)
        model = clone(self.estimator)
        steps = getattr(model, "steps", None)
        self.encoder_: Any = None
        if steps and len(steps) > 1:
            from sklearn.pipeline import Pipeline

            self.encoder_ = Pipeline(steps[:-1]).fit(features, binary)
        self.group_levels_ = sorted(set(groups))
        matrix = self._encoded(features, groups)
        n_group_columns = len(self.group_levels_) - 1
        ids = list(range(matrix.shape[1] - n_group_columns, matrix.shape[1]))
        self.remover_ = CorrelationRemover(sensitive_feature_ids=ids, alpha=float(self.alpha))
        decorrelated = self.remover_.fit_transform(matrix)
        final = steps[-1][1] if steps else model
        self.classifier_ = clone(final).fit(decorrelated, binary)
        self._set_inputs([*self.features_, *self.sensitive])
        return self

    def _positive(self, X: Any) -> np.ndarray:
        frame = self._check_frame(X)
        groups = group_labels(frame, list(self.sensitive))
        decorrelated = self.remover_.transform(self._encoded(frame[self.features_], groups))
        return np.asarray(self.classifier_.predict_proba(decorrelated)[:, 1])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of the classifier on the decorrelated features."""
        check_is_fitted(self, "classifier_")
        return self._proba(self._positive(X))

    def predict(self, X: Any) -> np.ndarray:
        """Decisions of the classifier on the decorrelated features."""
        check_is_fitted(self, "classifier_")
        frame = self._check_frame(X)
        groups = group_labels(frame, list(self.sensitive))
        decorrelated = self.remover_.transform(self._encoded(frame[self.features_], groups))
        return self._labels(self.classifier_.predict(decorrelated) == 1)
