"""Poisoning screen: training records whose label the rest of the training data contradicts.

A label-flip or injected record is one the other records disagree with. Each training record is
scored by copies of the audited model refitted without it (5-fold, seeded): the probability they
give the record's own label. Records below ``poisoning_threshold`` are the suspects, listed most
suspicious first. This is a screen for a reviewer (mislabelled and poisoned records both show up),
not a proof of tampering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from responsible_ai.robustness._common import ModelView

__all__ = ["NOT_REFITTABLE", "PoisoningResult", "screen_training_data"]

NOT_REFITTABLE = (
    "cannot screen for poisoning: the model ({kind}) cannot be refitted (it is not a "
    "scikit-learn estimator that sklearn.base.clone accepts)"
)
_FOLDS = 5


@dataclass
class PoisoningResult:
    """Out-of-fold probability of each screened record's own label."""

    own_label_probability: pd.Series  # indexed like the training data
    labels: pd.Series
    threshold: float


def screen_training_data(
    view: ModelView,
    train: pd.DataFrame,
    target: str,
    *,
    threshold: float,
    rows: int,
    random_state: int,
) -> PoisoningResult:
    """Score every (sampled) training record by models fitted on the other folds."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    try:
        estimator = clone(view.model)
    except Exception:
        raise ValueError(NOT_REFITTABLE.format(kind=type(view.model).__name__)) from None
    if len(train) > rows:
        chosen = np.random.default_rng(random_state).choice(len(train), rows, replace=False)
        train = train.iloc[np.sort(chosen)]
    inputs = view.inputs(train)
    labels = train[target]
    text = labels.astype(str).to_numpy()
    smallest = int(pd.Series(text).value_counts().min())
    folds = StratifiedKFold(
        n_splits=min(_FOLDS, max(2, smallest)), shuffle=True, random_state=random_state
    )
    own = np.full(len(train), np.nan)
    for fit_rows, score_rows in folds.split(inputs, text):
        model = clone(estimator).fit(inputs.iloc[fit_rows], labels.iloc[fit_rows])
        classes = [str(c) for c in model.classes_]
        proba = np.asarray(model.predict_proba(inputs.iloc[score_rows]), dtype=float)
        column = np.array([classes.index(t) if t in classes else -1 for t in text[score_rows]])
        picked = proba[np.arange(len(score_rows)), np.maximum(column, 0)]
        own[score_rows] = np.where(column >= 0, picked, 0.0)
    return PoisoningResult(
        own_label_probability=pd.Series(own, index=train.index),
        labels=labels,
        threshold=threshold,
    )
