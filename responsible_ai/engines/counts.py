"""What every engine's pass over the rows yields, and how it becomes the audit's data.

An engine counts; this module decides. The positive label, the task-type checks on the distinct
predictions, the notes about missing sensitive values and the cache of counts that the fairness
checks read are computed here once, the same way for every engine, so that the same data gives
the same report on pandas and on DuckDB.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.decisions import column_decisions, looks_like_scores
from responsible_ai.errors import InputError
from responsible_ai.inputs import MISSING_GROUP, AuditData, _resolve_positive_label

if TYPE_CHECKING:
    from responsible_ai.fairness.groups import GroupCounts
    from responsible_ai.policy.schema import DataRoles

__all__ = ["MAX_LABELS", "CountsPass", "finish_pass"]

# Distinct label values remembered to resolve and check the positive label after the pass.
MAX_LABELS = 10_000


@dataclass
class CountsPass:
    """One engine's pass over the data.

    Attributes
    ----------
    parts : dict
        ``tuple(by) -> GroupCounts`` for every grouping the checks use (None: no rows).
    seen : dict
        Distinct values (at most :data:`MAX_LABELS`) of the prediction and target columns.
    rows, dropped : int
        Rows counted, and rows dropped for a missing sensitive value (``missing: drop``).
    missing_groups : dict
        Rows with a missing value per sensitive column, in the order they were resolved.
    notes : list of str
        What the engine did (which engine, batches, memory limit), first in the data notes.
    source : dict
        ``path``, ``sha256``, ``columns`` of the data (``rows`` is added here).
    columns : list of str
        The columns the audit read.
    sums : dict
        ``(tuple(by), n_bins) -> GroupSums``: the score and regression sums, when the policy
        has such checks (:mod:`responsible_ai.fairness.score_sums`).
    """

    parts: dict[tuple[str, ...], GroupCounts | None]
    seen: dict[str, set[Any]]
    rows: int
    dropped: int
    missing_groups: dict[str, int]
    notes: list[str]
    source: dict[str, Any]
    columns: list[str] = field(default_factory=list)
    sums: dict[tuple[tuple[str, ...], int], Any] = field(default_factory=dict)


def finish_pass(counted: CountsPass, roles: DataRoles) -> tuple[AuditData, dict[Hashable, Any]]:
    """The audit's data and its counts cache from an engine's pass.

    Returns
    -------
    data : AuditData
        With an empty ``frame`` (the columns read, no rows) and zero-length role arrays.
    counts : dict
        Per-run cache entries ``("fairness.counts", by, "prediction") -> GroupCounts`` (``"rows"``
        without a prediction column) and ``("fairness.score_sums", by, n_bins) -> GroupSums``.
    """
    if counted.rows == 0:
        where = counted.source.get("path") or counted.source.get("name")
        raise InputError(f"{where} has no rows to audit")
    label = roles.positive_label
    label_column = roles.target or roles.prediction
    seen = counted.seen
    positive = label
    if label_column is not None:
        observed = pd.Series(sorted(seen[label_column], key=str), dtype=object)
        positive = _resolve_positive_label(
            label, observed, label_column, must_occur=roles.target is not None
        )
    decisions = None if roles.prediction is None else _decisions(seen, roles, positive, label)
    notes = list(counted.notes)
    if decisions is not None and decisions.note:
        notes.append(decisions.note)
    for column, count in counted.missing_groups.items():
        verb = (
            "dropped" if roles.missing_sensitive == "drop" else "grouped as " + repr(MISSING_GROUP)
        )
        notes.append(f"{count} row(s) with a missing value in sensitive feature {column!r} {verb}")
    data = AuditData(
        frame=pd.DataFrame(columns=counted.columns),
        roles=roles.model_copy(update={"positive_label": positive}),
        y_true=np.zeros(0, dtype=bool) if roles.target else None,
        y_pred=None if decisions is None else np.zeros(0, dtype=bool),
        score=np.zeros(0) if roles.score else None,
        weight=np.zeros(0) if roles.weight else None,
        notes=notes,
        prediction_problem=None if decisions is None else decisions.problem,
        # The columns read, counted the same way on every engine.
        source={
            **counted.source,
            "columns": len(counted.columns),
            "rows": counted.rows + counted.dropped,
            "streamed": True,
        },
    )
    # Without a prediction column (score or regression checks only) the counts are the group
    # sizes and base rates that those checks read as the "rows" counts.
    decision = "prediction" if roles.prediction is not None else "rows"
    cache: dict[Hashable, Any] = {
        ("fairness.counts", by, decision): counts
        for by, counts in counted.parts.items()
        if counts is not None
    }
    cache |= {("fairness.score_sums", by, bins): sums for (by, bins), sums in counted.sums.items()}
    return data, cache


def _decisions(seen: dict[str, set[Any]], roles: DataRoles, positive: Any, label: Any) -> Any:
    """The same task-type checks as in memory, on the distinct predictions seen in the pass."""
    assert roles.prediction is not None
    predicted = pd.Series(sorted(seen[roles.prediction], key=str), dtype=object)
    if predicted.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).all():
        fractional = any(isinstance(v, float) for v in predicted)
        predicted = predicted.astype(float if fractional else "int64")
    target = None if roles.target is None else pd.Series(sorted(seen[roles.target], key=str))
    decisions = column_decisions(predicted, roles.prediction, positive, label is not None, target)
    if (
        looks_like_scores(predicted) is None
        and roles.target is not None
        and not seen[roles.prediction] & seen[roles.target]
    ):
        raise InputError(
            f"prediction column {roles.prediction!r} shares no value with target "
            f"{roles.target!r}; both must use the same labels"
        )
    return decisions
