"""From predictions to decisions: refuse scores and regressors, say how labels were binarised.

Classification metrics count decisions: whether each prediction equals the positive label. That
only means something when the predictions are class labels. A regressor's outputs or a column of
probabilities never equal the label, so every selection rate would be 0 and every check would
pass; predictions with more than two values would be binarised without anyone deciding how. This
module tells those cases apart. A problem is not raised here but carried on the audit data, and
the checker raises it only when a check needs decisions, so regression and score metrics keep
working on the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BINARISED",
    "MODEL_PREDICTS_SCORES",
    "MULTI_VALUED",
    "PREDICTIONS_ARE_SCORES",
    "REGRESSOR_MODEL",
    "Decisions",
    "column_decisions",
    "looks_like_scores",
    "model_decisions",
    "target_note",
]

PREDICTIONS_ARE_SCORES = (
    "prediction column {column!r} holds {count} distinct numbers from {low:.4g} to {high:.4g}, "
    "which look like scores, not decisions: give it as --score {column} (data.score), or "
    "threshold it into a column of labels and give that as --prediction"
)
REGRESSOR_MODEL = (
    "the model ({kind}) is a regressor: its predictions are numbers, not decisions, so "
    "classification metrics cannot use them; give a classifier, or threshold its output into a "
    "column of labels and give that as --prediction"
)
MODEL_PREDICTS_SCORES = (
    "the model ({kind}) predicts {count} distinct numbers from {low:.4g} to {high:.4g}, not "
    "class labels: give a classifier, or threshold its output into a column of labels and give "
    "that as --prediction"
)
MULTI_VALUED = (
    "{source} has the values {values}, not just the target's two labels: set positive_label "
    "(data.positive_label or --positive-label) to the favourable one; the others count as negative"
)
BINARISED = "{role} binarised: {positive!r} -> positive, {{{negatives}}} -> negative"


@dataclass(frozen=True)
class Decisions:
    """Predictions as decisions, or why they cannot be.

    ``y_pred`` is whether each prediction is the positive label (None when ``problem`` is set);
    ``problem`` is the one-line message a check that needs decisions raises; ``note`` says how
    multi-valued predictions were binarised; ``score`` is a regressor's output, for regression
    metrics.
    """

    y_pred: np.ndarray | None
    problem: str | None = None
    note: str | None = None
    score: np.ndarray | None = None


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _shown(values: list[Any]) -> str:
    ordered = sorted(values, key=lambda v: (not isinstance(v, int | float), str(v), v))
    shown = ", ".join(repr(v) for v in ordered[:6])
    return shown + (", ..." if len(ordered) > 6 else "")


def _numbers(values: Any) -> np.ndarray | None:
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":  # bool, text and objects are labels
        return None
    return array.astype(float)


def looks_like_scores(values: Any) -> tuple[int, float, float] | None:
    """``(distinct values, min, max)`` if ``values`` are numbers that are not class labels.

    Scores are numbers with a fractional part and more than two distinct values; whole numbers
    (0/1, or class codes) and two-valued columns are labels.
    """
    numbers = _numbers(values)
    if numbers is None or numbers.size == 0:
        return None
    numbers = numbers[~np.isnan(numbers)]
    distinct = np.unique(numbers)
    if distinct.size <= 2 or np.all(np.mod(distinct, 1) == 0):
        return None
    return int(distinct.size), float(distinct[0]), float(distinct[-1])


def _binarise(
    predicted: Any,
    labels: list[Any],
    positive: Any,
    explicit: bool,
    label_space: set[Any] | None,
    source: str,
    role: str,
) -> Decisions:
    """Decisions from label predictions; multi-valued ones only with an explicit label."""
    y_pred = np.asarray(pd.Series(predicted) == positive, dtype=bool)
    others = [v for v in labels if not (v == positive and type(v) is type(positive))]
    needs_choice = len(labels) > 2 or (label_space is not None and not set(labels) <= label_space)
    if not needs_choice:
        return Decisions(y_pred)
    if not explicit:
        return Decisions(None, problem=MULTI_VALUED.format(source=source, values=_shown(labels)))
    note = BINARISED.format(role=role, positive=positive, negatives=_shown(others))
    return Decisions(y_pred, note=note)


def column_decisions(
    values: pd.Series, column: str, positive: Any, explicit: bool, target: pd.Series | None
) -> Decisions:
    """Decisions from a prediction column (no missing values)."""
    found = looks_like_scores(values)
    if found is not None:
        count, low, high = found
        return Decisions(
            None,
            problem=PREDICTIONS_ARE_SCORES.format(column=column, count=count, low=low, high=high),
        )
    labels = [_python(v) for v in pd.unique(values)]
    space = None if target is None else {_python(v) for v in pd.unique(target.dropna())}
    return _binarise(
        values, labels, positive, explicit, space, f"prediction column {column!r}", "prediction"
    )


def _is_regressor(model: Any) -> bool:
    try:
        from sklearn.base import is_regressor
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        return False
    try:
        return bool(is_regressor(model))
    except Exception:
        return False


def model_decisions(
    model: Any,
    predicted: np.ndarray,
    positive: Any,
    explicit: bool,
    target: pd.Series | None,
) -> Decisions:
    """Decisions from a model's predictions: a regressor's or a scorer's outputs are none."""
    kind = f"{type(model).__module__}.{type(model).__qualname__}"
    classes = [_python(c) for c in getattr(model, "classes_", [])]
    scores = looks_like_scores(predicted)
    if _is_regressor(model) or (not classes and scores is not None):
        numbers = _numbers(predicted)
        return Decisions(None, problem=REGRESSOR_MODEL.format(kind=kind), score=numbers)
    if scores is not None:
        count, low, high = scores
        return Decisions(
            None, problem=MODEL_PREDICTS_SCORES.format(kind=kind, count=count, low=low, high=high)
        )
    labels = classes or [_python(v) for v in pd.unique(pd.Series(predicted))]
    space = None if target is None else {_python(v) for v in pd.unique(target.dropna())}
    source = f"the model's classes ({kind})" if classes else f"the model's predictions ({kind})"
    return _binarise(predicted, labels, positive, explicit, space, source, "prediction")


def target_note(target: pd.Series, positive: Any, column: str) -> str | None:
    """How a target with more than two values was binarised, for the report's data notes."""
    labels = [_python(v) for v in pd.unique(target.dropna())]
    if len(labels) <= 2:
        return None
    others = [v for v in labels if not (v == positive and type(v) is type(positive))]
    return BINARISED.format(role=f"target {column!r}", positive=positive, negatives=_shown(others))
