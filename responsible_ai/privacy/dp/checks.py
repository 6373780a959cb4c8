"""Budget checks: what the ledger says a dataset has spent, and what remains of the cap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from responsible_ai.checker.findings import Measurement
from responsible_ai.privacy.dp.catalog import BudgetParams
from responsible_ai.privacy.dp.ledger import BudgetLedger

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.policy.schema import Check

__all__ = [
    "NO_BUDGET_SET",
    "NO_DATASET_NAMED",
    "measure_epsilon_remaining",
    "measure_epsilon_spent",
]

NO_BUDGET_SET = (
    "dataset {dataset!r} has no cap in the budget ledger: there is no cap to measure against "
    "(a data steward registers it: rai budget set {dataset} --cap EPS)"
)
NO_DATASET_NAMED = (
    "no dataset named: set release.dataset in the policy or params.dataset of the check (the "
    "name registered with rai budget set)"
)


def _ledger_state(
    context: AuditContext, check: Check
) -> tuple[str | None, float | None, dict[str, Any]]:
    params = BudgetParams.model_validate(check.params)
    policy = context.policy
    dataset = params.dataset or policy.release.dataset
    ledger = BudgetLedger(policy.privacy.ledger)
    evidence: dict[str, Any] = {"dataset": dataset, "ledger": ledger.location}
    if dataset is None:
        return None, None, evidence
    entries = ledger.entries(dataset)
    spent = ledger.spent(dataset)
    evidence |= {
        "epsilon_spent": spent,
        "epsilon_cap": ledger.cap(dataset),
        "epsilon_budget": policy.privacy.epsilon_budget,
        "operations": int((entries["status"] == "spent").sum()),
        "refused": int((entries["status"] == "refused").sum()),
    }
    return dataset, spent, evidence


def measure_epsilon_spent(context: AuditContext, check: Check, by: list[str] | None) -> Measurement:
    """Epsilon spent on the audited dataset, from the ledger."""
    dataset, spent, evidence = _ledger_state(context, check)
    if dataset is None:
        return Measurement(None, evidence, undefined_reason=NO_DATASET_NAMED)
    return Measurement(spent, evidence)


def measure_epsilon_remaining(
    context: AuditContext, check: Check, by: list[str] | None
) -> Measurement:
    """The dataset's registered cap (or the policy's lower budget) minus what was spent."""
    dataset, spent, evidence = _ledger_state(context, check)
    if dataset is None or spent is None:
        return Measurement(None, evidence, undefined_reason=NO_DATASET_NAMED)
    cap = evidence["epsilon_cap"]
    if cap is None:
        return Measurement(None, evidence, undefined_reason=NO_BUDGET_SET.format(dataset=dataset))
    budget = context.policy.privacy.epsilon_budget
    limit = cap if budget is None else min(cap, budget)
    if budget is not None and budget > cap:
        evidence["note"] = "the policy's epsilon_budget is above the registered cap: the cap holds"
    remaining = max(0.0, limit - spent)
    evidence["epsilon_remaining"] = remaining
    return Measurement(remaining, evidence)
