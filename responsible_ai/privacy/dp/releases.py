"""A DP release: the statistics and fairness tables a policy asks for, paid from the budget.

Order matters: everything that can go wrong with the input is checked first, then the whole
release is charged to the ledger in one transaction (refused if over budget, before any noise is
drawn), and only then is noise drawn. Nothing is written by this module.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from responsible_ai.errors import InputError
from responsible_ai.policy.loader import LoadedPolicy, load_policy, policy_from_dict
from responsible_ai.policy.schema import Policy
from responsible_ai.privacy.dp.ledger import NO_DATASET, BudgetLedger, Operation, current_user

__all__ = ["NOTHING_TO_RELEASE", "NO_PREDICTIONS", "Release", "plan_release", "release"]

NOTHING_TO_RELEASE = (
    "the policy's release section asks for nothing: add release.statistics or release.fairness"
)
NO_PREDICTIONS = (
    "release.fairness needs predictions: give a model (--model) or a prediction column "
    "(--prediction, or data.prediction in the policy)"
)
NO_GROUPS = (
    "release.fairness needs sensitive features: set release.fairness.by or data.sensitive "
    "(--sensitive)"
)

PathLike = str | os.PathLike[str]


@dataclass
class Release:
    """What ``rai release`` writes: DP results, what they cost, and what is left."""

    dataset: str
    policy: str
    who: str
    epsilon: float
    budget: float
    remaining: float
    ledger: str
    statistics: list[dict[str, Any]] = field(default_factory=list)
    fairness: list[dict[str, Any]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    operations: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def fits(self) -> bool:
        """Whether the release fits the remaining budget (always true once released)."""
        return self.remaining >= -1e-9  # the ledger's tolerance

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "policy": self.policy,
            "who": self.who,
            "created_at": self.created_at,
            "epsilon_spent": self.epsilon,
            "epsilon_budget": self.budget,
            "epsilon_remaining": self.remaining,
            "operations": self.operations,
            "statistics": self.statistics,
            "fairness": self.fairness,
            "inputs": self.inputs,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str) + "\n"


def _load(policy: Policy | LoadedPolicy | dict[str, Any] | PathLike) -> Policy:
    if isinstance(policy, LoadedPolicy):
        return policy.policy
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, dict):
        return policy_from_dict(policy)
    return load_policy(policy).policy


def plan_release(frame: pd.DataFrame, policy: Policy, by: list[list[str]]) -> list[Operation]:
    """The ledger entries of the release: one per statistic and per fairness table."""
    from responsible_ai.privacy.dp.fairness import fairness_operation
    from responsible_ai.privacy.dp.statistics import plan_statistic

    settings = policy.release
    operations = [plan_statistic(frame, spec) for spec in settings.statistics]
    if settings.fairness is not None:
        operations += [fairness_operation(columns, settings.fairness.epsilon) for columns in by]
    if not operations:
        raise InputError(NOTHING_TO_RELEASE)
    return operations


def release(
    data: pd.DataFrame | PathLike,
    policy: Policy | LoadedPolicy | dict[str, Any] | PathLike,
    *,
    model: Any = None,
    prediction: str | None = None,
    target: str | None = None,
    sensitive: list[str] | None = None,
    positive_label: Any = None,
    trust_model: bool = False,
    dataset: str | None = None,
    ledger: BudgetLedger | str | None = None,
    who: str | None = None,
    random_state: Any = None,
    dry_run: bool = False,
) -> Release:
    """Release the DP statistics and fairness tables that ``policy.release`` asks for.

    Parameters
    ----------
    data : DataFrame or path
        The private data (CSV / Parquet path or DataFrame).
    policy : Policy, dict or path
        Its ``release:`` section says what to release; ``privacy.epsilon_budget``, if set, asks
        for a total below the dataset's registered cap (never above it).
    model, prediction, target, sensitive, positive_label, trust_model
        As in :func:`responsible_ai.audit`; needed only for ``release.fairness``.
    dataset : str, optional
        The registered dataset (``rai budget set``) to spend on; default ``release.dataset``.
    ledger : BudgetLedger or str, optional
        Default ``privacy.ledger`` of the policy, else the default ledger location.
    who : str, optional
        Who asks; default env ``RAI_USER``, else the OS user.
    random_state : optional
        None for a real release (fresh randomness); a seed only for tests.
    dry_run : bool, default False
        Plan and price the release without charging the ledger or drawing noise: the result
        lists the operations, and ``remaining`` is what would be left (negative: it would be
        refused).

    Returns
    -------
    Release

    Raises
    ------
    BudgetExceededError
        The release would exceed the budget: it is recorded as refused, and nothing is released.
    InputError
        Bad data, policy or roles; nothing is charged.
    """
    from responsible_ai.inputs import prepare, read_table

    active = _load(policy)
    data_path = None
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        data_path = Path(data)
        frame = read_table(data_path)
    settings = active.release
    fairness = settings.fairness
    # The budget belongs to a named, registered dataset: not to the file's hash, which one added
    # byte would turn into a fresh budget.
    dataset = dataset or settings.dataset
    if not dataset:
        raise InputError(NO_DATASET)

    overrides: dict[str, Any] = {}
    for key, value in (("prediction", prediction), ("target", target)):
        if value is not None:
            overrides[key] = value
    if sensitive is not None:
        overrides["sensitive"] = list(sensitive)
    if positive_label is not None:
        overrides["positive_label"] = positive_label
    roles = active.data.model_copy(update=overrides)
    if model is not None:
        roles = roles.model_copy(update={"prediction": None})
    if fairness is None:
        roles = roles.model_copy(update={"target": None, "prediction": None, "score": None})
        model = None
    else:
        if model is None and roles.prediction is None:
            raise InputError(NO_PREDICTIONS)
        if isinstance(model, str | os.PathLike):
            from responsible_ai.models import load_model

            model = load_model(model, trust_model=trust_model)
    groupings = _fairness_groupings(fairness.by if fairness else None, roles.sensitive)
    if fairness is not None and not groupings:
        raise InputError(NO_GROUPS)
    extra = sorted({c for columns in groupings for c in columns})
    prepared = prepare(frame, roles, model, data_path=data_path, group_columns=extra)

    operations = plan_release(frame, active, groupings)
    book = (
        ledger
        if isinstance(ledger, BudgetLedger)
        else BudgetLedger(ledger or active.privacy.ledger)
    )
    asker = who or current_user()
    budget = active.privacy.epsilon_budget
    planned = [asdict(op) for op in operations]
    needed = float(sum(op.epsilon for op in operations))
    if dry_run:
        limit = book.limit(dataset, budget)
        return Release(
            dataset=dataset,
            policy=active.name,
            who=asker,
            epsilon=needed,
            budget=limit,
            remaining=limit - book.spent(dataset) - needed,
            ledger=book.location,
            inputs={"path": prepared.source["path"], "sha256": prepared.source["sha256"]},
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            operations=planned,
            dry_run=True,
        )
    remaining = book.charge(dataset, operations, budget, who=asker)  # refuses before any noise
    limit = book.limit(dataset, budget)

    from diffprivlib.utils import check_random_state

    rng = check_random_state(random_state)
    from responsible_ai.privacy.dp.statistics import dp_statistic

    statistics = [dp_statistic(frame, spec, rng) for spec in settings.statistics]
    tables = []
    if fairness is not None:
        from responsible_ai.privacy.dp.fairness import dp_fairness_report

        assert prepared.y_pred is not None
        for columns in groupings:
            table = dp_fairness_report(
                prepared.frame,
                by=columns,
                y_pred=prepared.y_pred,
                y_true=prepared.y_true,
                epsilon=fairness.epsilon,
                confidence=fairness.confidence,
                random_state=rng,
            )
            tables.append(table.to_dict())
    return Release(
        dataset=dataset,
        policy=active.name,
        who=asker,
        epsilon=needed,
        budget=limit,
        remaining=remaining,
        ledger=book.location,
        statistics=statistics,
        fairness=tables,
        inputs={"path": prepared.source["path"], "sha256": prepared.source["sha256"]},
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        operations=planned,
    )


def _fairness_groupings(by: list[str] | None, sensitive: list[str]) -> list[list[str]]:
    columns = by if by is not None else sensitive
    return [[column] for column in columns]
