"""A generated year of production logs of the German credit reference model, with what went wrong.

:func:`make_german_credit_logs` resamples the German credit rows, day by day, scores them with the
sample's reference model and stamps them with a time. Two things can be planted:

- ``drift_from``: from that day on, ``credit_amount`` is 1.6 times larger (a new product line);
  only that feature drifts (the model sees it, so its scores move a little too).
- ``unfair_from``: from that day on, the scores of applicants under 25 are lowered by 0.2 (a
  retrained model that learned to refuse the young): their approvals, and the approvals of the
  creditworthy among them, fall.

Labels (``credit``) arrive late: the last ``label_delay_days`` days have none yet. The shipped
sample is ``sample_data/monitoring/`` (``scripts/make_monitoring_sample.py`` rewrites it); the
clean variant (nothing planted) is generated in the tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "LOG_COLUMNS",
    "make_german_credit_logs",
    "record_shipped_monitor",
    "write_monthly_logs",
    "write_reference",
]

#: What the generated logs add to the German credit columns.
LOG_COLUMNS = ("timestamp", "prediction", "score")
_AMOUNT_FACTOR = 1.6
_YOUNG_SCORE_DROP = 0.2


def _scored(model: object, rows: pd.DataFrame, features: list[str]) -> np.ndarray:
    proba = model.predict_proba(rows[features])  # type: ignore[attr-defined]
    classes = list(model.classes_)  # type: ignore[attr-defined]
    return np.asarray(proba[:, classes.index("good")], dtype=float)


def make_german_credit_logs(
    start: str = "2025-01-01",
    days: int = 365,
    rows_per_day: int = 300,
    *,
    drift_from: str | None = "2025-07-01",
    unfair_from: str | None = "2025-07-01",
    label_delay_days: int = 30,
    random_state: int = 0,
) -> pd.DataFrame:
    """A year (by default) of daily prediction logs of the German credit reference model.

    Parameters
    ----------
    start : str
        The first day (ISO date).
    days, rows_per_day : int
        How many days, and predictions per day (Poisson around it).
    drift_from, unfair_from : str or None
        The day the planted drift / fairness degradation starts; None plants nothing.
    label_delay_days : int
        The last days whose labels have not arrived.
    random_state : int

    Returns
    -------
    DataFrame
        The German credit columns plus ``timestamp``, ``prediction`` (good / bad) and ``score``
        (probability of good), sorted by time; ``credit`` is missing where labels are late.
    """
    from responsible_ai.reference_models import train_reference_model

    model, dataset = train_reference_model("german_credit")
    base = dataset.data.reset_index(drop=True)
    rng = np.random.default_rng(random_state)
    first = pd.Timestamp(start)
    sizes = rng.poisson(rows_per_day, size=days)
    picks = rng.integers(0, len(base), size=int(sizes.sum()))
    logs = base.iloc[picks].reset_index(drop=True)
    day = np.repeat(np.arange(days), sizes)
    seconds = rng.integers(0, 86_400, size=len(logs))
    logs.insert(
        0, "timestamp", first + pd.to_timedelta(day, unit="D") + pd.to_timedelta(seconds, unit="s")
    )
    if drift_from is not None:
        drifted = (logs["timestamp"] >= pd.Timestamp(drift_from)).to_numpy()
        amount = logs["credit_amount"].to_numpy(dtype=float)
        logs["credit_amount"] = np.where(drifted, np.round(amount * _AMOUNT_FACTOR), amount).astype(
            np.int64
        )
    score = _scored(model, logs, dataset.features)
    if unfair_from is not None:
        young = (logs["age_group"] == "under 25").to_numpy()
        late = (logs["timestamp"] >= pd.Timestamp(unfair_from)).to_numpy()
        score = np.where(young & late, np.clip(score - _YOUNG_SCORE_DROP, 0, 1), score)
    logs["score"] = np.round(score, 6)
    logs["prediction"] = np.where(logs["score"] >= 0.5, "good", "bad")
    cutoff = first + pd.Timedelta(days=days - label_delay_days)
    logs["credit"] = logs["credit"].astype(object).where(logs["timestamp"] < cutoff, None)
    return logs.sort_values("timestamp", kind="stable").reset_index(drop=True)


def write_monthly_logs(logs: pd.DataFrame, folder: Path) -> list[Path]:
    """One Parquet file per month, ``YYYY-MM.parquet``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for month, rows in logs.groupby(logs["timestamp"].dt.strftime("%Y-%m"), sort=True):
        path = folder / f"{month}.parquet"
        rows.to_parquet(path, index=False, compression="zstd")
        written.append(path)
    return written


def write_reference(path: Path) -> Path:
    """The German credit rows scored by the reference model: the monitor's reference."""
    from responsible_ai.reference_models import train_reference_model

    model, dataset = train_reference_model("german_credit")
    rows = dataset.data.copy()
    rows["score"] = np.round(_scored(model, rows, dataset.features), 6)
    rows["prediction"] = np.where(rows["score"] >= 0.5, "good", "bad")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows.to_parquet(path, index=False, compression="zstd")
    return path


def record_shipped_monitor(store: Any, identity: Any = None) -> int:
    """Monitor the shipped year of logs with ``policies/monitoring.yaml`` and record it in
    ``store`` (what ``rai monitor sample_data/monitoring/german_credit_logs --policy monitoring
    --store`` does); returns the monitor run's id."""
    from responsible_ai.monitor.run import monitor
    from responsible_ai.resources import shipped_policies_dir, shipped_sample_data_dir
    from responsible_ai.store.monitors import save_monitor_run

    logs = shipped_sample_data_dir() / "monitoring" / "german_credit_logs"
    result = monitor(logs, shipped_policies_dir() / "monitoring.yaml")
    return save_monitor_run(store, result, result.fresh_counts, identity)
