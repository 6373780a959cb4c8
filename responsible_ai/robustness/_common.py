"""What every robustness check shares: the model's decisions, the sample, intervals, progress."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from responsible_ai.alignment import align_to_model
from responsible_ai.explain._association import group_labels
from responsible_ai.explain._sample import audited_rows, stratified_sample

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext

__all__ = [
    "NO_MODEL",
    "ModelView",
    "audited_rows",
    "bootstrap_interval",
    "group_labels",
    "model_view",
    "perturbable_features",
    "progress",
    "sample_index",
    "wilson_interval",
]

NO_MODEL = "cannot attack: the audit has no model (give one with --model)"

T = TypeVar("T")


class ModelView:
    """The audited model as the attacks see it: its input columns and its yes/no decisions."""

    def __init__(self, model: Any, features: list[str], positive: Any) -> None:
        self.model = model
        self.features = features
        self.positive = positive
        self.calls = 0
        self.rows_queried = 0

    def inputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's columns of ``frame``, converted to what the model was fitted on."""
        aligned, _ = align_to_model(self.model, frame[self.features], self.features)
        return aligned

    def decide(self, frame: pd.DataFrame, aligned: bool = False) -> np.ndarray:
        """Whether the model gives each row the favourable outcome (a boolean array)."""
        inputs = frame if aligned else self.inputs(frame)
        self.calls += 1
        self.rows_queried += len(inputs)
        predicted = np.asarray(self.model.predict(inputs))
        return is_positive(predicted, self.positive)

    def proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities of each row, columns in the order of ``model.classes_``."""
        if not hasattr(self.model, "predict_proba"):
            raise ValueError(
                f"the model ({type(self.model).__name__}) has no predict_proba: "
                "membership inference needs the model's probabilities"
            )
        return np.asarray(self.model.predict_proba(self.inputs(frame)), dtype=float)


def is_positive(predicted: np.ndarray, positive: Any) -> np.ndarray:
    """Elementwise ``predicted == positive``, also when one is text and the other a number."""
    same = np.asarray(predicted == positive, dtype=bool)
    if same.shape != predicted.shape:  # comparison of incompatible types gave a scalar
        same = np.zeros(predicted.shape, dtype=bool)
    if not same.any():
        same = np.asarray([str(p) == str(positive) for p in predicted], dtype=bool)
    return same


def model_view(context: AuditContext) -> ModelView:
    """The run's model, its features and its positive label; ``ValueError`` without a model."""
    data = context.data
    if data.model is None or data.model_source is None:
        raise ValueError(NO_MODEL)
    return ModelView(data.model, list(data.model_source["features"]), data.roles.positive_label)


def perturbable_features(context: AuditContext, features: list[str]) -> list[str]:
    """The model features an attack or perturbation may change: all but the sensitive ones."""
    return [f for f in features if f not in context.data.sensitive]


def sample_index(
    context: AuditContext, rows: int, salt: int = 0, min_per_group: int | None = None
) -> pd.Index:
    """A seeded sample of about ``rows`` rows of the audited data, stratified by sensitive group.

    Each group gets at least ``min_per_group`` rows (default ``robustness.min_rows_per_group``).
    """
    floor = context.policy.robustness.min_rows_per_group if min_per_group is None else min_per_group
    frame = audited_rows(context)
    strata = [c for c in context.data.sensitive if c in frame.columns]
    return stratified_sample(
        frame, strata, rows, min_per_group=min(floor, rows), random_state=context.seed + salt
    )


def bootstrap_interval(
    values: np.ndarray,
    statistic: Callable[[np.ndarray], float] = np.mean,
    *,
    resamples: int,
    confidence: float,
    random_state: int,
) -> dict[str, Any]:
    """Percentile bootstrap interval of ``statistic`` over rows of ``values``."""
    rng = np.random.default_rng(random_state)
    n = len(values)
    # One draw of every resample's rows: the same numbers as one draw per resample.
    drawn = rng.integers(0, n, size=(resamples, n))
    if statistic is np.mean and values.ndim == 1:
        replicates = values[drawn].mean(axis=1) if n else np.full(resamples, np.nan)
    else:
        replicates = np.array([statistic(values[rows]) for rows in drawn], dtype=float)
    tail = (1 - confidence) / 2
    low, high = np.nanquantile(replicates, [tail, 1 - tail])
    return {
        "low": float(low),
        "high": float(high),
        "confidence": confidence,
        "method": f"percentile bootstrap over rows ({resamples} resamples)",
    }


def wilson_interval(successes: int, trials: int, confidence: float) -> dict[str, Any]:
    """Wilson score interval of a proportion."""
    from scipy.special import ndtri

    z = float(ndtri(0.5 + confidence / 2))
    rate = successes / trials
    centre = (rate + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * np.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials**2))
    return {  # exact at the ends: no rounding error outside [0, 1] or past the estimate
        "low": 0.0 if successes == 0 else float(max(0.0, centre - half)),
        "high": 1.0 if successes == trials else float(min(1.0, centre + half)),
        "confidence": confidence,
        "method": "Wilson score interval",
    }


def progress(items: Iterable[T], description: str, total: int) -> Iterator[T]:
    """``items``, with a progress bar when standard error is a terminal (quiet otherwise)."""
    if total > 1 and sys.stderr.isatty():
        from tqdm.auto import tqdm

        yield from tqdm(items, desc=description, total=total, leave=False)
    else:
        yield from items
