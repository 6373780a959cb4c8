"""Estimated performance per group (CBPE): right on calibrated scores, with honest intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from responsible_ai.monitor.performance import estimate_performance
from responsible_ai.monitor.reading import LogSpec, count_frame


def _window(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], rows, p=[0.7, 0.3])
    score = np.where(group == "a", rng.beta(4, 2, rows), rng.beta(2, 3, rows))
    label = rng.random(rows) < score  # calibrated by construction
    frame = pd.DataFrame(
        {
            "ts": "2025-01-01",
            "g": group,
            "pred": np.where(score >= 0.5, "yes", "no"),
            "label": np.where(label, "yes", "no"),
            "score": score,
        }
    )
    return frame, pd.DataFrame({"group": group, "label": label, "pred": score >= 0.5})


@pytest.mark.parametrize("metric", ["accuracy", "true_positive_rate", "precision"])
def test_intervals_cover_the_realised_metric_about_95_percent(metric) -> None:
    spec = LogSpec("ts", ("days", 1), ["g"], "pred", "yes", score="score")
    covered, total = 0, 0
    for seed in range(60):
        frame, truth = _window(600, seed)
        estimate = estimate_performance(count_frame(frame, spec).scores, ["g"], metric, None)
        assert estimate is not None
        for i, name in enumerate(estimate.groups):
            rows = truth[truth["group"] == name]
            tp = (rows["pred"] & rows["label"]).sum()
            realised = {
                "accuracy": (rows["pred"] == rows["label"]).mean(),
                "true_positive_rate": tp / rows["label"].sum(),
                "precision": tp / rows["pred"].sum(),
            }[metric]
            covered += estimate.low[i] <= realised <= estimate.high[i]
            total += 1
    # Score bins of width 0.05 stand in for the scores, so coverage is near, not exactly, 95%.
    assert 0.88 <= covered / total <= 1.0


def test_only_estimable_metrics_are_accepted() -> None:
    with pytest.raises(ValueError, match="cannot be estimated from scores"):
        estimate_performance(pd.DataFrame(), ["g"], "selection_rate", None)
