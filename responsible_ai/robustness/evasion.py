"""Evasion: can a black-box attacker flip a decision with a small change of the numeric inputs?

ART's HopSkipJump or Boundary attack (decision-based: they see only the model's yes/no) runs on
each sampled row within a query budget. The attack moves the row's numeric features (within
their observed ranges, each scaled to 0-1 for the attack); categorical and sensitive features stay
as they are. The size of a perturbation is its L2 norm in standard deviations of each feature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.robustness._art import art_module
from responsible_ai.robustness._common import ModelView, progress

__all__ = ["NO_NUMERIC", "EvasionResult", "attack_iterations", "evade"]

NO_NUMERIC = (
    "cannot attack: the model takes no numeric feature to perturb (the evasion attack moves "
    "numeric inputs only)"
)
_INIT_EVAL = 20
_MAX_EVAL = 50


def _init_size(queries: int) -> int:
    """Random starting points tried before the attack proper (a fifth of the budget, <= 100)."""
    return max(5, min(100, queries // 5))


def attack_iterations(queries: int) -> int:
    """HopSkipJump iterations whose queries stay within ``queries`` per row (an upper estimate).

    One iteration asks at most ``min(init_eval * sqrt(i + 1), max_eval)`` queries to estimate the
    gradient and about 15 more for the binary and step-size searches; the random start asks up to
    ``init_size``.
    """
    used, iterations = _init_size(queries) + 15, 0
    while True:
        cost = min(int(_INIT_EVAL * math.sqrt(iterations + 1)), _MAX_EVAL) + 15
        if used + cost > queries:
            return max(iterations, 1)
        used += cost
        iterations += 1


@dataclass
class EvasionResult:
    """Per attacked row: whether its decision flipped, by how much, with how many queries."""

    rows: pd.Index
    flipped: np.ndarray
    size: np.ndarray  # L2 in standard deviations; inf where the attack found nothing
    queries: np.ndarray
    features: list[str]
    attack: str
    budget: int
    iterations: int


class _RowModel:
    """The model seen through one row: numeric features in 0-1 in, one-hot decision out."""

    def __init__(
        self,
        view: ModelView,
        aligned_row: pd.DataFrame,
        columns: list[str],
        low: np.ndarray,
        span: np.ndarray,
    ) -> None:
        self.view = view
        self.row = aligned_row
        self.columns = columns
        self.low = low
        self.span = span
        self.queries = 0

    def to_frame(self, unit: np.ndarray) -> pd.DataFrame:
        frame = pd.concat([self.row] * len(unit), ignore_index=True)
        values = self.low + unit * self.span
        for position, column in enumerate(self.columns):
            frame[column] = values[:, position]
        return frame

    def __call__(self, unit: np.ndarray) -> np.ndarray:
        self.queries += len(unit)
        positive = self.view.decide(self.to_frame(np.asarray(unit, dtype=float)), aligned=True)
        return np.stack([~positive, positive], axis=1).astype(np.float32)


def evade(
    view: ModelView,
    frame: pd.DataFrame,
    sample: pd.Index,
    numeric: list[str],
    *,
    attack: str,
    queries: int,
    random_state: int,
) -> EvasionResult:
    """Attack each sampled row; a success is verified on the model itself."""
    if not numeric:
        raise ValueError(NO_NUMERIC)
    estimators = art_module("estimators.classification")
    evasion = art_module("attacks.evasion")
    inputs = view.inputs(frame)
    as_float = inputs[numeric].astype(float)
    low, high = as_float.min().to_numpy(), as_float.max().to_numpy()
    span = np.where(high > low, high - low, 1.0)
    spread = as_float.std(ddof=0).to_numpy()
    spread = np.where(spread > 0, spread, 1.0)
    iterations = attack_iterations(queries)
    flipped = np.zeros(len(sample), dtype=bool)
    size = np.full(len(sample), np.inf)
    used = np.zeros(len(sample), dtype=int)
    # ART draws its noise from numpy's global generator, and its random starting points from an
    # unseeded one: seed the first, and draw the starting points here, seeded, in one batch.
    np.random.seed(random_state)
    rng = np.random.default_rng(random_state)
    for position, label in enumerate(progress(sample, "attacking", len(sample))):
        row = inputs.loc[[label]].reset_index(drop=True)
        row[numeric] = row[numeric].astype(float)
        model = _RowModel(view, row, numeric, low, span)
        classifier = estimators.BlackBoxClassifier(
            model, input_shape=(len(numeric),), nb_classes=2, clip_values=(0.0, 1.0)
        )
        start = ((as_float.loc[[label]].to_numpy() - low) / span).astype(np.float32)
        before = model(start)[0, 1] > 0.5
        candidates = rng.uniform(0, 1, (_init_size(queries), len(numeric))).astype(np.float32)
        flips = np.flatnonzero((model(candidates)[:, 1] > 0.5) != before)
        if not len(flips):  # no starting point flips the decision: nothing to refine
            used[position] = model.queries
            continue
        closest = flips[np.argmin(np.linalg.norm(candidates[flips] - start, axis=1))]
        runner = _attack(evasion, classifier, attack, iterations, queries)
        adversarial = runner.generate(start, x_adv_init=candidates[[closest]])
        used[position] = model.queries
        after = view.decide(model.to_frame(adversarial.astype(float)), aligned=True)[0]
        if before != after:
            flipped[position] = True
            change = (adversarial[0] - start[0]) * span / spread
            size[position] = float(np.sqrt(np.sum(change**2)))
    return EvasionResult(sample, flipped, size, used, numeric, attack, queries, iterations)


def _attack(evasion: Any, classifier: Any, attack: str, iterations: int, queries: int) -> Any:
    if attack == "boundary":
        return evasion.BoundaryAttack(
            classifier,
            targeted=False,
            max_iter=max(1, queries // 12),
            num_trial=5,
            sample_size=5,
            init_size=_init_size(queries),
            verbose=False,
        )
    return evasion.HopSkipJump(
        classifier,
        targeted=False,
        max_iter=iterations,
        max_eval=_MAX_EVAL,
        init_eval=_INIT_EVAL,
        init_size=_init_size(queries),
        verbose=False,
    )
