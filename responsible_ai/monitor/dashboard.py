"""Tables for the Monitoring page, from a monitor's stored windows and alerts: nothing to compute
in the app but the drawing."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from responsible_ai.monitor.drift import P_VALUE_METHODS

__all__ = [
    "check_ids",
    "drift_frame",
    "performance_frame",
    "rates_frame",
    "sequential_frame",
]

#: Drift strengths above this are drawn as this (the colour scale would be all one colour).
STRENGTH_CAP = 5.0


def check_ids(windows: list[dict[str, Any]]) -> list[str]:
    """The checks monitored per window."""
    return sorted({c for w in windows for c in w.get("checks", {})})


def rates_frame(windows: list[dict[str, Any]], check: str) -> pd.DataFrame:
    """Per window and group: the check's group metric, its Wilson interval and the group's rows.

    Columns: window, metric, group, rate, low, high, rows, value (the check's value), status.
    """
    records = []
    for window in windows:
        result = window.get("checks", {}).get(check)
        if not result:
            continue
        for metric, groups in result.get("groups", {}).items():
            for group, (rate, low, high, rows) in groups.items():
                records.append(
                    {
                        "window": window["window"],
                        "metric": metric,
                        "group": group,
                        "rate": rate,
                        "low": low,
                        "high": high,
                        "rows": rows,
                        "value": result.get("value"),
                        "status": result.get("status"),
                    }
                )
    frame = pd.DataFrame(
        records,
        columns=["window", "metric", "group", "rate", "low", "high", "rows", "value", "status"],
    )
    frame["window"] = pd.to_datetime(frame["window"], errors="coerce")
    return frame


def _strength(result: dict[str, Any]) -> float | None:
    """How far past its threshold a drift score is: 1 at the threshold, more is more drift."""
    score, threshold = result.get("score"), result.get("threshold")
    if score is None or threshold is None:
        return None
    if result.get("method") in P_VALUE_METHODS:
        strength = math.log(max(score, 1e-300)) / math.log(threshold) if score < 1 else 0.0
    else:
        strength = score / threshold
    return min(strength, STRENGTH_CAP)


def drift_frame(windows: list[dict[str, Any]]) -> pd.DataFrame:
    """Feature x window: method, score, threshold, drifted, strength (for a heatmap)."""
    records = [
        {
            "window": window["window"],
            "feature": feature,
            "method": result["method"],
            "score": result["score"],
            "threshold": result["threshold"],
            "drifted": result["drifted"],
            "strength": _strength(result),
        }
        for window in windows
        for feature, result in window.get("drift", {}).items()
        if result is not None
    ]
    columns = ["window", "feature", "method", "score", "threshold", "drifted", "strength"]
    frame = pd.DataFrame(records, columns=columns)
    frame["window"] = pd.to_datetime(frame["window"], errors="coerce")
    # Where each window's cell ends: the next window's start (the last: as long as the one before).
    starts = pd.Series(sorted(frame["window"].dropna().unique()))
    following = dict(zip(starts, starts.shift(-1), strict=True))
    step = starts.diff().median() if len(starts) > 1 else pd.Timedelta(days=1)
    frame["end"] = [
        following.get(w) if pd.notna(following.get(w)) else w + step for w in frame["window"]
    ]
    return frame


def performance_frame(windows: list[dict[str, Any]], by: str, metric: str) -> pd.DataFrame:
    """Per window and group: realised (where labelled) and estimated performance, interval."""
    records = []
    for window in windows:
        groups = window.get("performance", {}).get(by, {}).get(metric, {})
        for group, values in groups.items():
            records.append({"window": window["window"], "group": group, **values})
    columns = ["window", "group", "realised", "labelled", "estimated", "low", "high"]
    frame = pd.DataFrame(records).reindex(columns=columns)
    frame["window"] = pd.to_datetime(frame["window"], errors="coerce")
    return frame


def sequential_frame(alert: dict[str, Any]) -> pd.DataFrame:
    """A sequential alert's path: window, log wealth, the boundary, the observed gap."""
    evidence = alert.get("evidence", {})
    wealth = evidence.get("log_wealth", {})
    gaps = evidence.get("gaps", {})
    frame = pd.DataFrame(
        {
            "window": list(wealth),
            "log_wealth": list(wealth.values()),
            "boundary": evidence.get("log_wealth_boundary"),
            "gap": [gaps.get(w) for w in wealth],
            "tolerance": evidence.get("tolerance"),
        }
    )
    frame["window"] = pd.to_datetime(frame["window"], errors="coerce")
    return frame
