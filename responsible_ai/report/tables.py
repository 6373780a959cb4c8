"""Evidence as tables: the per-group rows of a fairness finding, with intervals where present.

The HTML report and the review app both read findings through these functions, so a table looks
the same wherever a reviewer meets it. Only what the evidence holds is shown: counts and rates from
the group counts, confidence intervals and intersectional tables when the fairness engine adds them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from responsible_ai.checker.findings import Finding

__all__ = [
    "GROUP_RATES",
    "GroupTable",
    "checks_frame",
    "exclusion_notes",
    "group_table",
    "interval_of",
    "metric_of_finding",
    "rate_label",
    "value_interval",
]

#: Group rates in display order, with the label a reviewer reads.
GROUP_RATES: dict[str, str] = {
    "selection_rate": "selection rate",
    "base_rate": "base rate",
    "true_positive_rate": "true positive rate",
    "false_positive_rate": "false positive rate",
    "false_negative_rate": "false negative rate",
    "accuracy": "accuracy",
}

# The group rate that a disparity metric compares, for charts that show one rate per group.
_METRIC_RATE = {
    "selection_rate": "selection_rate",
    "demographic_parity": "selection_rate",
    "equal_opportunity": "true_positive_rate",
    "equalized_odds": "true_positive_rate",
    "false_positive_rate": "false_positive_rate",
    "false_negative_rate": "false_negative_rate",
    "accuracy": "accuracy",
}


_NOT_RATES = {"count", "weight", "included", "share", "group", "values"}


def rate_label(rate: str) -> str:
    """How a reviewer reads a group rate's name."""
    return GROUP_RATES.get(rate, rate.replace("_", " "))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _pair(value: Any) -> tuple[float, float] | None:
    if isinstance(value, dict):
        value = (value.get("low", value.get("ci_low")), value.get("high", value.get("ci_high")))
    if isinstance(value, list | tuple) and len(value) == 2:
        low, high = _number(value[0]), _number(value[1])
        if low is not None and high is not None:
            return low, high
    return None


def interval_of(row: dict[str, Any], rate: str) -> tuple[float, float] | None:
    """The confidence interval of ``rate`` in a group row, in any of the shapes evidence uses.

    Accepted: ``row["<rate>_ci"] = [low, high]`` (or ``{"low", "high"}``),
    ``row["<rate>_ci_low"]`` with ``row["<rate>_ci_high"]``, and ``row["ci"]["<rate>"]`` or
    ``row["intervals"]["<rate>"]``.
    """
    found = _pair(row.get(f"{rate}_ci"))
    if found is None:
        found = _pair((row.get(f"{rate}_ci_low"), row.get(f"{rate}_ci_high")))
    for key in ("ci", "intervals"):
        nested = row.get(key)
        if found is None and isinstance(nested, dict):
            found = _pair(nested.get(rate))
    return found


def metric_of_finding(finding: Finding) -> str | None:
    """The group rate a fairness finding compares (selection rate for parity checks)."""
    name = finding.metric.split(".", 1)[-1]
    for stem, rate in _METRIC_RATE.items():
        if name.startswith(stem):
            return rate
    return None


@dataclass(frozen=True)
class GroupTable:
    """Per-group evidence of a finding: rates (and their intervals) for each group.

    ``rows`` hold ``group``, ``count`` and, per rate in ``rates``, the value and an optional
    ``(low, high)`` interval under ``"<rate>_interval"``. ``excluded`` lists groups below the
    minimum group size; ``by`` the grouping columns.
    """

    by: list[str]
    rates: list[str]
    rows: list[dict[str, Any]]
    excluded: list[str]
    min_group_size: int | None

    @property
    def has_intervals(self) -> bool:
        return any(row.get(f"{rate}_interval") for row in self.rows for rate in self.rates)

    def key_rates(self, finding: Finding) -> list[str]:
        """The rates worth a column: the usual six and those the check compares."""
        compared = finding.evidence.get("group_metrics")
        compared = [str(m) for m in compared] if isinstance(compared, list) else []
        chart = metric_of_finding(finding)
        wanted = set(GROUP_RATES) | set(compared) | ({chart} if chart else set())
        return [rate for rate in self.rates if rate in wanted]

    def to_frame(self, rates: list[str] | None = None) -> pd.DataFrame:
        """One row per group; intervals as ``"<label> 95% CI"`` text columns."""
        import pandas as pd

        rates = self.rates if rates is None else rates
        with_intervals = {
            rate for rate in rates if any(row.get(f"{rate}_interval") for row in self.rows)
        }
        records = []
        for row in self.rows:
            record: dict[str, Any] = {"group": row["group"], "count": row["count"]}
            for rate in rates:
                record[rate_label(rate)] = row.get(rate)
                interval = row.get(f"{rate}_interval")
                if rate in with_intervals:
                    record[f"{rate_label(rate)} 95% CI"] = (
                        f"{interval[0]:.3f} – {interval[1]:.3f}" if interval else None
                    )
            record["excluded"] = "yes" if row["group"] in self.excluded else ""
            records.append(record)
        return pd.DataFrame(records)


def group_table(finding: Finding) -> GroupTable | None:
    """The per-group table of a fairness finding, or None when its evidence has no groups."""
    groups = finding.evidence.get("groups")
    if not isinstance(groups, list) or not groups:
        return None
    rates = [rate for rate in GROUP_RATES if any(rate in row for row in groups)]
    rates += sorted(
        {
            key
            for row in groups
            if isinstance(row, dict)
            for key, value in row.items()
            if key not in rates and key not in _NOT_RATES and _number(value) is not None
        }
    )
    intervals = finding.evidence.get("group_intervals")
    intervals = intervals if isinstance(intervals, dict) else {}
    rows = []
    for raw in groups:
        if not isinstance(raw, dict) or "group" not in raw:
            continue
        row: dict[str, Any] = {
            "group": str(raw["group"]),
            "values": raw.get("values", {}),
            "count": raw.get("count"),
        }
        for rate in rates:
            row[rate] = _number(raw.get(rate))
            by_group = intervals.get(rate)
            row[f"{rate}_interval"] = interval_of(raw, rate) or (
                _pair(by_group.get(row["group"])) if isinstance(by_group, dict) else None
            )
        rows.append(row)
    excluded = [str(group) for group in finding.evidence.get("excluded_groups") or []]
    by = [str(column) for column in finding.evidence.get("by") or finding.by or []]
    minimum = finding.evidence.get("min_group_size")
    return GroupTable(by, rates, rows, excluded, minimum if isinstance(minimum, int) else None)


def value_interval(finding: Finding) -> tuple[float, float] | None:
    """The confidence interval of a finding's measured value, when the evidence has one."""
    return _pair(finding.evidence.get("interval"))


def exclusion_notes(finding: Finding) -> list[str]:
    """Why each excluded group was left out (``group: reason``), or just the group names."""
    details = finding.evidence.get("exclusions")
    if isinstance(details, list) and details:
        return [
            f"{item.get('group')}: {item.get('reason') or 'excluded'}"
            for item in details
            if isinstance(item, dict)
        ]
    return [str(group) for group in finding.evidence.get("excluded_groups") or []]


def checks_frame(
    findings: list[Finding], after_review: dict[str, str] | None = None
) -> pd.DataFrame:
    """The checks as a reviewer reads them: status, severity, check, value vs requirement.

    Statuses are short words that fit a cell (``lacks evidence``, see
    :data:`responsible_ai.report.plain.STATUS_LABELS`); ``value`` stays the exact number (round it
    for display, as the app does) so a copy or a download keeps every digit. ``after_review``
    maps check ids to their status once waivers apply; given, it becomes the second column.
    """
    import pandas as pd

    from responsible_ai.report.plain import status_label

    frame = pd.DataFrame(
        [
            {
                "status": status_label(f.status),
                "severity": f.severity,
                "check": f.id,
                "metric": f.metric,
                "by": ", ".join(f.by) if f.by else "",
                "value": f.value,
                "requirement": f"{f.operator} {f.threshold:g}" if f.threshold is not None else "",
                "reference": f.reference or "",
                "detail": f.message,
            }
            for f in findings
        ],
        # What decides first (value against requirement), the specialist's columns after.
        columns=[
            "status",
            "severity",
            "check",
            "value",
            "requirement",
            "by",
            "metric",
            "reference",
            "detail",
        ],
    )
    if after_review is not None:
        frame.insert(1, "after review", [status_label(after_review[c]) for c in frame["check"]])
    return frame
