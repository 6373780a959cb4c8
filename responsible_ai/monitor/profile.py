"""The reference a monitor compares windows with: each feature's bins and counts, the calibration.

Numeric columns are binned once, on the reference: by their distinct values when there are at most
:data:`EXACT_VALUES` of them (the histograms are then the exact distributions, so KS and
Wasserstein equal their row-level values), otherwise at :data:`QUANTILE_BINS` quantiles. Every
window is counted in the same bins, so windows merge and the drift of a week is the drift of its
days' counts added up. The profile is kept with the monitor (``--follow`` reuses its bins).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError
from responsible_ai.monitor.windows import SCORE_BINS

__all__ = ["EXACT_VALUES", "QUANTILE_BINS", "FeatureProfile", "ReferenceProfile", "build_profile"]

EXACT_VALUES = 100
QUANTILE_BINS = 100
NOT_IN_REFERENCE = "feature {column!r} is not in the reference data {where}"
EMPTY_FEATURE = "feature {column!r} has no values in the reference data {where}"


@dataclass
class FeatureProfile:
    """One watched column in the reference: kind, bins (numeric), counts and value sums per bin."""

    name: str
    kind: str
    edges: list[float]
    counts: dict[str, int]
    sums: dict[str, float]

    @property
    def rows(self) -> int:
        return int(sum(self.counts.values()))


@dataclass
class ReferenceProfile:
    """What the windows are compared with.

    Attributes
    ----------
    features : dict of str to FeatureProfile
    calibration : list of float or None
        The observed positive rate of each equal-width score bin in the reference (smoothed
        towards the bin's centre), or None without scores and labels.
    rows : int
    source : dict
        ``path`` and ``sha256`` of the reference.
    """

    features: dict[str, FeatureProfile]
    calibration: list[float] | None
    rows: int
    source: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "features": {k: asdict(v) for k, v in self.features.items()},
                "calibration": self.calibration,
                "rows": self.rows,
                "source": self.source,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ReferenceProfile:
        data = json.loads(text)
        return cls(
            {k: FeatureProfile(**v) for k, v in data["features"].items()},
            data["calibration"],
            int(data["rows"]),
            dict(data["source"]),
        )


def build_profile(
    frame: pd.DataFrame,
    features: list[str],
    categorical: list[str],
    *,
    score: str | None,
    target: str | None,
    positive_label: str,
    where: str,
    source: dict[str, Any] | None = None,
) -> ReferenceProfile:
    """The profile of the reference ``frame`` (in memory: a reference is a sample, not a log).

    Raises
    ------
    InputError
        A feature the reference lacks, or has no values of.
    """
    from responsible_ai.monitor.reading import MISSING, _text

    profiles: dict[str, FeatureProfile] = {}
    for column in features:
        if column not in frame.columns:
            raise InputError(NOT_IN_REFERENCE.format(column=column, where=where))
        values = frame[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and column not in categorical:
            data = values.to_numpy(dtype=float)
            data = data[~np.isnan(data)]
            if len(data) == 0:
                raise InputError(EMPTY_FEATURE.format(column=column, where=where))
            distinct = np.unique(data)
            if len(distinct) <= EXACT_VALUES:
                edges = distinct
            else:
                edges = np.unique(np.quantile(data, np.arange(1, QUANTILE_BINS) / QUANTILE_BINS))
            codes = np.searchsorted(edges, data, side="left")
            counts = np.bincount(codes, minlength=len(edges) + 1)
            sums = np.bincount(codes, weights=data, minlength=len(edges) + 1)
            keep = np.flatnonzero(counts)
            profiles[column] = FeatureProfile(
                column,
                "numeric",
                [float(e) for e in edges],
                {str(int(i)): int(counts[i]) for i in keep},
                {str(int(i)): float(sums[i]) for i in keep},
            )
        else:
            text = _text(values).dropna()
            text = text[text != MISSING]
            if len(text) == 0:
                raise InputError(EMPTY_FEATURE.format(column=column, where=where))
            tally = text.value_counts()
            profiles[column] = FeatureProfile(
                column,
                "categorical",
                [],
                {str(k): int(v) for k, v in tally.items()},
                {str(k): 0.0 for k in tally.index},
            )
    return ReferenceProfile(
        profiles,
        _calibration(frame, score, target, positive_label),
        len(frame),
        dict(source or {}),
    )


def _calibration(
    frame: pd.DataFrame, score: str | None, target: str | None, positive_label: str
) -> list[float] | None:
    """Histogram binning (Zadrozny and Elkan 2001): each score bin's observed positive rate."""
    from responsible_ai.monitor.reading import _text

    if score is None or target is None or score not in frame or target not in frame:
        return None
    values = pd.to_numeric(frame[score], errors="coerce").to_numpy(dtype=float)
    labels = _text(frame[target])
    keep = ~np.isnan(values) & labels.notna().to_numpy()
    if not keep.any():
        return None
    positive = (labels[keep] == positive_label).to_numpy(dtype=float)
    bins = np.clip(np.floor(values[keep] * SCORE_BINS), 0, SCORE_BINS - 1).astype(np.int64)
    rows = np.bincount(bins, minlength=SCORE_BINS)
    hits = np.bincount(bins, weights=positive, minlength=SCORE_BINS)
    centre = (np.arange(SCORE_BINS) + 0.5) / SCORE_BINS
    prior = 2.0  # pseudo-rows at the bin's centre: sparse bins stay near the raw score
    return [float(v) for v in (hits + prior * centre) / (rows + prior)]
