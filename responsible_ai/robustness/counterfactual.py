"""The counterfactual flip test: do decisions change when only the sensitive attribute does?

Each sampled row is given, in turn, every other group of the attribute. "Attribute only" changes
the attribute's columns alone (a model that does not take the attribute cannot flip). "Attribute
and proxies" also gives the row the proxy features of a donor: a row drawn at random (seeded) from
the other group, so that the proxies take values that group really has. Proxies are the model
features whose association with the attribute reaches ``explain.proxy_threshold``, measured as
the explanation family measures them (:func:`responsible_ai.explain._association.association`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from responsible_ai.explain._association import associations_with
from responsible_ai.robustness._common import ModelView, group_labels

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext

__all__ = ["CounterfactualResult", "counterfactual_flips", "detected_proxies"]


def detected_proxies(
    context: AuditContext, frame: pd.DataFrame, features: list[str], by: list[str]
) -> dict[str, float]:
    """Model features (not in ``by``) associated with the ``by`` groups at least
    ``explain.proxy_threshold`` (measured once per audit with the proxy checks)."""
    threshold = context.policy.explain.proxy_threshold
    measured = associations_with(context, frame, features, by)
    found = {
        feature: float(value) for feature, (value, _) in measured.items() if value >= threshold
    }
    return dict(sorted(found.items(), key=lambda item: -item[1]))


@dataclass
class CounterfactualResult:
    """Per sampled row: the share of counterfactual groups that flip its decision."""

    attribute_only: pd.Series
    with_proxies: pd.Series
    groups: pd.Series  # the row's own group
    proxies: dict[str, float]
    attribute_in_model: list[str]


def counterfactual_flips(
    view: ModelView,
    frame: pd.DataFrame,
    sample: pd.Index,
    by: list[str],
    proxies: dict[str, float],
    random_state: int,
) -> CounterfactualResult:
    """Flip shares of the sampled rows when their group (and its proxies) are changed."""
    rng = np.random.default_rng(random_state)
    labels = group_labels(frame, by)
    rows = frame.loc[sample]
    own = labels.loc[sample]
    proxy_columns = list(proxies)
    # Every counterfactual copy is built first and the model asked once (a pipeline's
    # per-call overhead dwarfs its per-row cost at these sizes); the donors are drawn in the
    # same order as one call per group would, so the results are the same.
    batches: list[pd.DataFrame] = [rows]
    asked: list[np.ndarray] = []
    for group in sorted(labels.unique()):
        members = np.flatnonzero((labels == group).to_numpy())
        others = (own != group).to_numpy()
        if not others.any():
            continue
        values = frame.iloc[members[0]][by]
        changed = rows.loc[others].copy()
        for column in by:
            changed[column] = pd.Series(values[column], index=changed.index).astype(
                frame[column].dtype
            )
        batches.append(changed.copy())
        donors = frame.iloc[rng.choice(members, size=int(others.sum()))]
        for column in proxy_columns:
            changed[column] = donors[column].to_numpy()
        batches.append(changed)
        asked.append(others)
    decided = view.decide(pd.concat(batches, ignore_index=True))
    original, start = decided[: len(rows)], len(rows)
    alone = np.zeros(len(rows))
    together = np.zeros(len(rows))
    changes = np.zeros(len(rows))
    for others in asked:
        size = int(others.sum())
        alone[others] += decided[start : start + size] != original[others]
        together[others] += decided[start + size : start + 2 * size] != original[others]
        changes[others] += 1
        start += 2 * size
    changes = np.maximum(changes, 1)
    return CounterfactualResult(
        attribute_only=pd.Series(alone / changes, index=sample),
        with_proxies=pd.Series(together / changes, index=sample),
        groups=own,
        proxies=proxies,
        attribute_in_model=[c for c in by if c in view.features],
    )
