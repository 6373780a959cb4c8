"""Post-processing: decision thresholds that differ by group.

Both read each row's sensitive group when deciding, so they use the sensitive attribute at decision
time (disparate treatment where the law forbids it; see ``mitigation.allow_sensitive_at_decision``).

:class:`GroupThresholdClassifier` is deterministic: one threshold per group on the pipeline's
score, chosen on the training data so that every group reaches the overall rate (true-positive
rate or selection rate) of the untouched model, and moved ``strength`` of the way from 0.5
towards it. :class:`ThresholdOptimizerClassifier` is fairlearn's ``ThresholdOptimizer``: a
randomized mix of two thresholds per group, kept as plain arrays; its draws are seeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from responsible_ai.mitigate._base import MitigatorBase, group_labels

__all__ = ["GroupThresholdClassifier", "ThresholdOptimizerClassifier"]

THRESHOLD_CONSTRAINTS = ("demographic_parity", "true_positive_rate_parity")
OPTIMIZER_CONSTRAINTS = {
    "demographic_parity": "demographic_parity",
    "equalized_odds": "equalized_odds",
    "true_positive_rate_parity": "true_positive_rate_parity",
}
UNSUPPORTED = "The 'constraint' parameter of {name} must be one of {choices}. Got {got!r} instead."
STRENGTH = (
    "The 'strength' parameter of {name} must be a float in the range (0, 1]. Got {got!r} instead."
)
NO_RELAXED_ODDS = (
    "The 'tolerance' parameter of {name} must be None for equalized_odds (fairlearn has no "
    "relaxed version of it). Got {got!r} instead."
)
_DEFAULT_THRESHOLD = 0.5


class _GroupDecision(MitigatorBase):
    uses_sensitive_at_decision = True

    def _fit_base(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        features, binary, groups = self._prepare_fit(X, y)
        self.estimator_ = clone(self.estimator).fit(features, binary)
        self._set_inputs([*self.features_, *self.sensitive])
        scores = np.asarray(self.estimator_.predict_proba(features)[:, 1])
        return scores, binary, groups.to_numpy()

    def _scores_and_groups(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        frame = self._check_frame(X)
        scores = np.asarray(self.estimator_.predict_proba(frame[self.features_])[:, 1])
        return scores, group_labels(frame, list(self.sensitive)).to_numpy()


class GroupThresholdClassifier(_GroupDecision):
    """Deterministic group-specific thresholds on the pipeline's score.

    Parameters
    ----------
    estimator : estimator or Pipeline with ``predict_proba``
    sensitive : list of str
    constraint : {"true_positive_rate_parity", "demographic_parity"}
        Which rate every group is brought to.
    strength : float in (0, 1], default 1.0
        How far from 0.5 towards the equalizing threshold each group's threshold moves.
    positive_label : optional

    Attributes
    ----------
    thresholds_ : dict of group label -> threshold (a group not seen in training gets 0.5)
    """

    def __init__(
        self,
        estimator: Any,
        *,
        sensitive: Sequence[str] = (),
        constraint: str = "true_positive_rate_parity",
        strength: float = 1.0,
        positive_label: Any = None,
    ) -> None:
        self.estimator = estimator
        self.sensitive = sensitive
        self.constraint = constraint
        self.strength = strength
        self.positive_label = positive_label

    def fit(self, X: Any, y: Any) -> GroupThresholdClassifier:
        """Fit the pipeline, then one threshold per group on the training scores."""
        name = type(self).__name__
        if self.constraint not in THRESHOLD_CONSTRAINTS:
            choices = ", ".join(THRESHOLD_CONSTRAINTS)
            raise ValueError(UNSUPPORTED.format(name=name, choices=choices, got=self.constraint))
        if not isinstance(self.strength, int | float) or not 0.0 < self.strength <= 1.0:
            raise ValueError(STRENGTH.format(name=name, got=self.strength))
        scores, binary, groups = self._fit_base(X, y)
        eligible = (
            binary == 1
            if self.constraint == "true_positive_rate_parity"
            else np.ones_like(binary, bool)
        )
        target_rate = float(np.mean(scores[eligible] >= _DEFAULT_THRESHOLD))
        thresholds: dict[str, float] = {}
        for group in sorted(set(groups.tolist())):
            members = scores[eligible & (groups == group)]
            if not len(members):
                thresholds[group] = _DEFAULT_THRESHOLD
                continue
            # the (1 - rate) quantile: that share of the group's eligible rows scores above it
            equalizing = float(np.quantile(members, 1.0 - target_rate, method="lower"))
            moved = _DEFAULT_THRESHOLD + float(self.strength) * (equalizing - _DEFAULT_THRESHOLD)
            thresholds[str(group)] = moved
        self.thresholds_ = thresholds
        return self

    def _decide(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        scores, groups = self._scores_and_groups(X)
        cut = np.array([self.thresholds_.get(g, _DEFAULT_THRESHOLD) for g in groups.tolist()])
        return scores, scores >= cut

    def predict_proba(self, X: Any) -> np.ndarray:
        """The pipeline's probabilities (the thresholds act on them in ``predict``)."""
        check_is_fitted(self, "thresholds_")
        return self._proba(self._decide(X)[0])

    def predict(self, X: Any) -> np.ndarray:
        """Decisions: the score at or above its group's threshold."""
        check_is_fitted(self, "thresholds_")
        return self._labels(self._decide(X)[1])


class ThresholdOptimizerClassifier(_GroupDecision):
    """fairlearn's ``ThresholdOptimizer`` (Hardt, Price and Srebro), kept as plain arrays.

    Parameters
    ----------
    estimator : estimator or Pipeline with ``predict_proba``
    sensitive : list of str
    constraint : {"demographic_parity", "equalized_odds", "true_positive_rate_parity"}
    tolerance : float or None, default None
        fairlearn's ``tol``: allowed constraint violation (None: exact).
    positive_label : optional
    random_state : int, default 0
        Seeds the randomized choice between each group's two thresholds.
    """

    def __init__(
        self,
        estimator: Any,
        *,
        sensitive: Sequence[str] = (),
        constraint: str = "true_positive_rate_parity",
        tolerance: float | None = None,
        positive_label: Any = None,
        random_state: int = 0,
    ) -> None:
        self.estimator = estimator
        self.sensitive = sensitive
        self.constraint = constraint
        self.tolerance = tolerance
        self.positive_label = positive_label
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> ThresholdOptimizerClassifier:
        """Fit the pipeline, then fairlearn's optimizer on its training scores."""
        from fairlearn.postprocessing import ThresholdOptimizer

        name = type(self).__name__
        if self.constraint not in OPTIMIZER_CONSTRAINTS:
            choices = ", ".join(OPTIMIZER_CONSTRAINTS)
            raise ValueError(UNSUPPORTED.format(name=name, choices=choices, got=self.constraint))
        if self.constraint == "equalized_odds" and self.tolerance is not None:
            raise ValueError(NO_RELAXED_ODDS.format(name=name, got=self.tolerance))
        features, binary, groups = self._prepare_fit(X, y)
        self.estimator_ = clone(self.estimator).fit(features, binary)
        self._set_inputs([*self.features_, *self.sensitive])
        optimizer = ThresholdOptimizer(
            estimator=self.estimator_,
            constraints=OPTIMIZER_CONSTRAINTS[self.constraint],
            predict_method="predict_proba",
            prefit=True,
            tol=None if self.tolerance is None else float(self.tolerance),
        )
        optimizer.fit(features, binary, sensitive_features=groups)
        table = optimizer.interpolated_thresholder_.interpolation_dict
        self.groups_ = [str(group) for group in table]
        # per group: probability of the first operation, then (sign, threshold) of both
        rows = []
        for group in table:
            entry = table[group]
            first, second = entry["operation0"], entry["operation1"]
            rows.append(
                [
                    float(entry["p0"]),
                    1.0 if first.operator == ">" else -1.0,
                    float(first.threshold),
                    1.0 if second.operator == ">" else -1.0,
                    float(second.threshold),
                ]
            )
        self.operations_ = np.asarray(rows, dtype=float)
        return self

    def _positive_share(self, X: Any) -> np.ndarray:
        scores, groups = self._scores_and_groups(X)
        index = {group: i for i, group in enumerate(self.groups_)}
        unknown = sorted({g for g in groups.tolist() if g not in index})
        if unknown:
            raise ValueError(
                f"{type(self).__name__} has no thresholds for group(s) {unknown}: "
                "they were not in the training data"
            )
        ops = self.operations_[[index[g] for g in groups.tolist()]]
        first = np.where(ops[:, 1] > 0, scores > ops[:, 2], scores < ops[:, 2])
        second = np.where(ops[:, 3] > 0, scores > ops[:, 4], scores < ops[:, 4])
        return np.asarray(ops[:, 0] * first + (1.0 - ops[:, 0]) * second)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability that the randomized rule approves each row."""
        check_is_fitted(self, "operations_")
        return self._proba(self._positive_share(X))

    def predict(self, X: Any) -> np.ndarray:
        """Decisions drawn with ``random_state``, as fairlearn draws them."""
        check_is_fitted(self, "operations_")
        share = self._positive_share(X)
        draws = check_random_state(self.random_state).rand(len(share))
        return self._labels(share >= draws)
