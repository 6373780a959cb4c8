"""Membership inference: can an attacker tell the training records from others by the outputs?

ART's black-box membership-inference attack (``MembershipInferenceBlackBox``, on the model's
probabilities and the true labels) is trained on half of a balanced set of members (rows of
``data.train``) and non-members (audited rows that are not in the training data), and scored on
the other half. The advantage is the attack's ROC AUC minus 0.5: 0 means the outputs tell nothing
about membership, 0.5 that they tell it perfectly. The interval is a bootstrap over the scored rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.robustness._art import art_module
from responsible_ai.robustness._common import ModelView, bootstrap_interval

__all__ = [
    "NO_HELD_OUT",
    "NO_TRAIN",
    "MembershipResult",
    "held_out_rows",
    "membership_inference",
]

NO_TRAIN = (
    "cannot test membership inference: needs the training data (data.train in the policy, "
    "--train FILE, or audit(..., train=...)) beside the held-out data you audit"
)
NO_HELD_OUT = (
    "cannot test membership inference: only {count} audited row(s) are not in the training data "
    "(at least 20 needed); audit a held-out set, not the training data"
)
_ROC_POINTS = 50


def held_out_rows(frame: pd.DataFrame, train: pd.DataFrame, columns: list[str]) -> pd.Index:
    """Rows of ``frame`` whose ``columns`` match no row of ``train``."""

    def keys(data: pd.DataFrame) -> pd.Series:
        return pd.util.hash_pandas_object(data[columns].astype(str), index=False)

    seen = set(keys(train).tolist())
    return frame.index[~keys(frame).isin(seen).to_numpy()]


@dataclass
class MembershipResult:
    """The attack's scores on the held-out half, and the AUC with its interval."""

    auc: float
    interval: dict[str, Any]
    roc: list[dict[str, float]]
    members: int
    non_members: int
    scored: int
    attack_model: str


def membership_inference(
    view: ModelView,
    members: pd.DataFrame,
    non_members: pd.DataFrame,
    target: str,
    *,
    attack_model: str,
    resamples: int,
    confidence: float,
    random_state: int,
) -> MembershipResult:
    """Train ART's black-box attack on half the rows and measure its AUC on the other half."""
    from sklearn.metrics import roc_auc_score, roc_curve

    estimators = art_module("estimators.classification")
    inference = art_module("attacks.inference.membership_inference")
    classes = [str(c) for c in getattr(view.model, "classes_", [])]
    if not classes:
        raise ValueError("membership inference needs a classifier with classes_")
    pred_in, pred_out = view.proba(members), view.proba(non_members)
    y_in = _class_index(members[target], classes)
    y_out = _class_index(non_members[target], classes)
    rng = np.random.default_rng(random_state)
    half_in, half_out = _halves(len(members), rng), _halves(len(non_members), rng)

    def unused(x: np.ndarray) -> np.ndarray:  # the attack reads the predictions given to it
        raise AssertionError("membership inference must not query the model")

    classifier = estimators.BlackBoxClassifier(unused, input_shape=(1,), nb_classes=len(classes))
    attack = inference.MembershipInferenceBlackBox(
        classifier, input_type="prediction", attack_model_type=attack_model
    )
    np.random.seed(random_state)  # ART's attack models draw from numpy's global generator
    train_in, test_in = half_in
    train_out, test_out = half_out
    attack.fit(
        y=y_in[train_in],
        pred=pred_in[train_in],
        test_y=y_out[train_out],
        test_pred=pred_out[train_out],
    )
    score_in = attack.infer(None, y_in[test_in], pred=pred_in[test_in], probabilities=True)
    score_out = attack.infer(None, y_out[test_out], pred=pred_out[test_out], probabilities=True)
    scores = np.concatenate([np.ravel(score_in), np.ravel(score_out)])
    truth = np.concatenate([np.ones(len(test_in)), np.zeros(len(test_out))])
    auc = float(roc_auc_score(truth, scores))
    paired = np.column_stack([truth, scores])

    def resampled_auc(rows: np.ndarray) -> float:
        if rows[:, 0].min() == rows[:, 0].max():
            return float("nan")
        return float(roc_auc_score(rows[:, 0], rows[:, 1]))

    interval = bootstrap_interval(
        paired, resampled_auc, resamples=resamples, confidence=confidence, random_state=random_state
    )
    fpr, tpr, _ = roc_curve(truth, scores)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), _ROC_POINTS)).astype(int))
    roc = [
        {"false_positive_rate": float(fpr[i]), "true_positive_rate": float(tpr[i])} for i in keep
    ]
    return MembershipResult(
        auc=auc,
        interval=interval,
        roc=roc,
        members=len(members),
        non_members=len(non_members),
        scored=len(truth),
        attack_model=attack_model,
    )


def _class_index(labels: pd.Series, classes: list[str]) -> np.ndarray:
    lookup = {label: index for index, label in enumerate(classes)}
    text = labels.astype(str)
    unknown = sorted(set(text) - set(lookup))
    if unknown:
        raise ValueError(f"target values {unknown[:5]} are not classes of the model {classes}")
    return text.map(lookup).to_numpy(dtype=int)


def _halves(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2 :])
