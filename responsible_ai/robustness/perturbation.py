"""Perturbation stability: how many decisions flip under small, realistic changes of the inputs.

Numeric features get normal noise scaled to each feature's spread (``noise_scale`` standard
deviations), rounded for integer columns and kept inside the observed range; each categorical
feature is swapped, with probability ``swap_probability``, to another value drawn by frequency, so
that frequent neighbours are the likely swaps. Sensitive features are never perturbed here (that
is the counterfactual test's job).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.robustness._common import ModelView, progress

__all__ = ["Perturber", "StabilityResult", "stability"]


class Perturber:
    """Draws perturbed copies of rows, from the spreads and frequencies of reference data.

    Parameters
    ----------
    reference : DataFrame
        The data the spreads (standard deviations, ranges) and value frequencies come from.
    features : list of str
        Columns that may be perturbed.
    noise_scale : float
        Standard deviations of noise for numeric features.
    swap_probability : float
        Chance that a categorical feature is swapped.
    """

    def __init__(
        self,
        reference: pd.DataFrame,
        features: list[str],
        noise_scale: float,
        swap_probability: float,
    ) -> None:
        self.noise_scale = noise_scale
        self.swap_probability = swap_probability
        self.numeric: dict[str, tuple[float, float, float, bool]] = {}
        self.categorical: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for column in features:
            values = reference[column]
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                spread = float(values.std(ddof=0))
                integer = pd.api.types.is_integer_dtype(values)
                self.numeric[column] = (spread, float(values.min()), float(values.max()), integer)
            else:
                counts = values.astype(object).value_counts(dropna=False)
                if len(counts) > 1:
                    frequency = counts.to_numpy(dtype=float) / counts.sum()
                    self.categorical[column] = (counts.index.to_numpy(dtype=object), frequency)

    def perturb(self, rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        """A perturbed copy of ``rows``."""
        out = rows.copy()
        n = len(rows)
        for column, (spread, low, high, integer) in self.numeric.items():
            noisy = rows[column].to_numpy(dtype=float) + rng.normal(0, self.noise_scale * spread, n)
            noisy = np.clip(noisy, low, high)
            if integer:
                out[column] = pd.Series(np.round(noisy), index=rows.index).astype(
                    rows[column].dtype
                )
            else:
                out[column] = noisy
        for column, (levels, frequency) in self.categorical.items():
            swap = rng.random(n) < self.swap_probability
            if not swap.any():
                continue
            current = rows[column].astype(object).to_numpy()
            new = current.copy()
            for position in np.flatnonzero(swap):
                others = levels != current[position]
                weights = frequency[others] / frequency[others].sum()
                new[position] = rng.choice(levels[others], p=weights)
            out[column] = pd.Series(new, index=rows.index).astype(rows[column].dtype)
        return out


@dataclass
class StabilityResult:
    """Per-row flip shares of the sampled rows and how they were obtained."""

    flip_share: pd.Series  # per sampled row: share of its perturbed copies whose decision flipped
    settings: dict[str, Any] = field(default_factory=dict)


def stability(
    view: ModelView,
    frame: pd.DataFrame,
    sample: pd.Index,
    perturbable: list[str],
    *,
    noise_scale: float,
    swap_probability: float,
    repeats: int,
    random_state: int,
) -> StabilityResult:
    """Flip share of each sampled row over ``repeats`` perturbed copies of it."""
    rng = np.random.default_rng(random_state)
    perturber = Perturber(frame, perturbable, noise_scale, swap_probability)
    rows = frame.loc[sample]
    original = view.decide(rows)
    flips = np.zeros(len(rows))
    for _ in progress(range(repeats), "perturbing", repeats):
        flips += view.decide(perturber.perturb(rows, rng)) != original
    return StabilityResult(
        flip_share=pd.Series(flips / repeats, index=sample),
        settings={
            "rows": len(rows),
            "repeats": repeats,
            "noise_scale": noise_scale,
            "swap_probability": swap_probability,
            "numeric_features": sorted(perturber.numeric),
            "categorical_features": sorted(perturber.categorical),
            "random_state": random_state,
        },
    )
