"""Budget checks: what the ledger says a dataset has spent, and what remains of the cap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from responsible_ai.checker.findings import Measurement
from responsible_ai.privacy.dp.catalog import BudgetParams
from responsible_ai.privacy.dp.ledger import BudgetLedger

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.policy.schema import Check

__all__ = ["NO_BUDGET_SET", "measure_epsilon_remaining", "measure_epsilon_spent"]

NO_BUDGET_SET = (
    "privacy.epsilon_budget is not set in the policy: there is no cap to measure against"
)


def _ledger_state(context: AuditContext, check: Check) -> tuple[str, float, dict[str, Any]]:
    params = BudgetParams.model_validate(check.params)
    policy = context.policy
    dataset = params.dataset or policy.release.dataset or str(context.data.source["sha256"])
    ledger = BudgetLedger(policy.privacy.ledger)
    entries = ledger.entries(dataset)
    spent = ledger.spent(dataset)
    evidence = {
        "dataset": dataset,
        "ledger": ledger.location,
        "epsilon_spent": spent,
        "epsilon_budget": policy.privacy.epsilon_budget,
        "operations": int((entries["status"] == "spent").sum()),
        "refused": int((entries["status"] == "refused").sum()),
    }
    return dataset, spent, evidence


def measure_epsilon_spent(context: AuditContext, check: Check, by: list[str] | None) -> Measurement:
    """Epsilon spent on the audited dataset, from the ledger."""
    _, spent, evidence = _ledger_state(context, check)
    return Measurement(spent, evidence)


def measure_epsilon_remaining(
    context: AuditContext, check: Check, by: list[str] | None
) -> Measurement:
    """The policy's budget minus what the ledger records as spent; undefined without a budget."""
    _, spent, evidence = _ledger_state(context, check)
    budget = context.policy.privacy.epsilon_budget
    if budget is None:
        return Measurement(None, evidence, undefined_reason=NO_BUDGET_SET)
    remaining = max(0.0, budget - spent)
    evidence["epsilon_remaining"] = remaining
    return Measurement(remaining, evidence)
