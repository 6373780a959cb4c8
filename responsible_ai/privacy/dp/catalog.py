"""Registry entries of the DP budget metrics. Light: no diffprivlib, numpy or pandas here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from responsible_ai.checker.registry import MetricSpec, register

__all__ = ["BudgetParams"]


class BudgetParams(BaseModel):
    """Parameters of the budget metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str | None = Field(
        None,
        description="Registered dataset in the ledger; default release.dataset of the policy.",
    )


register(
    MetricSpec(
        id="privacy.epsilon_spent",
        summary="Total DP epsilon recorded as spent on this dataset in the budget ledger.",
        compute="responsible_ai.privacy.dp.checks:measure_epsilon_spent",
        grouped=False,
        params="responsible_ai.privacy.dp.catalog:BudgetParams",
    ),
    MetricSpec(
        id="privacy.epsilon_remaining",
        summary="The dataset's registered cap (or a lower privacy.epsilon_budget) minus the "
        "epsilon spent on it (ledger).",
        compute="responsible_ai.privacy.dp.checks:measure_epsilon_remaining",
        grouped=False,
        params="responsible_ai.privacy.dp.catalog:BudgetParams",
    ),
)
