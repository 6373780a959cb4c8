"""What a reviewer reads about robustness, from a report's findings: one source for every face.

The HTML report's Robustness section and the app's Robustness page both render this summary, so
they say the same: flip rates by group, attack success against the perturbation budget, the
membership-inference ROC, the poisoning suspects, and the budget behind each attack finding.
Plain Python over the findings' evidence: no numpy, no pandas, nothing recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsible_ai.checker.findings import Finding

__all__ = ["ROBUSTNESS_METRIC_IDS", "RobustnessSummary", "budget_sentence", "robustness_summary"]

ROBUSTNESS_METRIC_IDS: frozenset[str] = frozenset(
    {
        "robustness.perturbation_flip_rate",
        "robustness.evasion_success_rate",
        "robustness.evasion_median_perturbation",
        "robustness.poisoning_suspect_share",
        "privacy.membership_inference_advantage",
        "fairness.robustness_gap",
        "fairness.counterfactual_flip_rate",
    }
)
_ATTACK_NAMES = {"hopskipjump": "HopSkipJump", "boundary": "Boundary"}


@dataclass
class RobustnessSummary:
    """Tables (lists of plain dicts) for the robustness findings of one report."""

    findings: list[Finding] = field(default_factory=list)
    flip_rates: list[dict[str, Any]] = field(default_factory=list)
    attack_curve: list[dict[str, Any]] = field(default_factory=list)
    roc: list[dict[str, Any]] = field(default_factory=list)
    suspects: list[dict[str, Any]] = field(default_factory=list)
    budgets: list[dict[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.findings


def budget_sentence(finding: Finding) -> str | None:
    """The budget an attack finding used, in words; None for findings that are not attacks."""
    evidence = finding.evidence
    if finding.metric.startswith("robustness.evasion"):
        budget, used = evidence.get("budget") or {}, evidence.get("queries_used") or {}
        name = _ATTACK_NAMES.get(str(evidence.get("attack")), str(evidence.get("attack")))
        flipped = evidence.get("flipped_any_size")
        return (
            f"ART {name} on {budget.get('rows')} rows, at most {budget.get('queries_per_row')} "
            f"queries each (used: median {_number(used.get('median'))}, max "
            f"{_number(used.get('max'))}); it "
            f"flipped {flipped} of {budget.get('rows')} decisions at any size, "
            f"{evidence.get('successes', '?')} within a perturbation of "
            f"{_number(budget.get('max_perturbation'))} standard deviations. A row it did not flip "
            "means no attack was found within this budget, not that none exists."
        )
    if finding.metric == "privacy.membership_inference_advantage":
        budget = evidence.get("budget") or {}
        return (
            f"{evidence.get('attack')} trained and scored on {budget.get('members')} training "
            f"rows and {budget.get('non_members')} held-out rows: a low advantage means this "
            "attack found no leak with this much data, not that none exists."
        )
    if finding.metric == "robustness.perturbation_flip_rate":
        budget = evidence.get("budget") or {}
        return (
            f"{budget.get('rows')} rows, {budget.get('repeats')} perturbed copies each: noise of "
            f"{budget.get('noise_scale')} standard deviations, categorical swaps with "
            f"probability {budget.get('swap_probability')}."
        )
    return None


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _flip_rows(finding: Finding) -> list[dict[str, Any]]:
    evidence = finding.evidence
    tables: list[tuple[str, str, list[Any]]] = []
    if finding.metric == "robustness.perturbation_flip_rate":
        for attribute, table in (evidence.get("by_group") or {}).items():
            tables.append(("perturbation", str(attribute), table))
    elif finding.metric == "fairness.counterfactual_flip_rate":
        attribute = " & ".join(evidence.get("sensitive") or [])
        for change in ("attribute", "attribute_and_proxies"):
            variant = evidence.get(change) or {}
            label = "counterfactual: " + change.replace("_", " ")
            tables.append((label, attribute, variant.get("by_group") or []))
    rows = []
    for test, attribute, table in tables:
        for row in table:
            interval = row.get("flip_rate_ci") or [None, None]
            rows.append(
                {
                    "check": finding.id,
                    "test": test,
                    "attribute": attribute,
                    "group": str(row.get("group")),
                    "rows": row.get("count"),
                    "flip_rate": row.get("flip_rate"),
                    "ci_low": interval[0],
                    "ci_high": interval[1],
                }
            )
    return rows


def robustness_summary(findings: list[Finding]) -> RobustnessSummary:
    """The robustness findings of a report, arranged for a reviewer.

    Parameters
    ----------
    findings : list of Finding
        A report's findings; those of other metrics are ignored.

    Returns
    -------
    RobustnessSummary
        ``empty`` when the report has no robustness finding.
    """
    summary = RobustnessSummary()
    seen_curves: set[str] = set()
    for finding in findings:
        if finding.metric not in ROBUSTNESS_METRIC_IDS:
            continue
        summary.findings.append(finding)
        evidence = finding.evidence
        summary.flip_rates += _flip_rows(finding)
        sentence = budget_sentence(finding)
        if sentence:
            summary.budgets.append({"check": finding.id, "budget": sentence})
        curve = evidence.get("success_by_perturbation")
        if isinstance(curve, list) and "evasion" not in seen_curves:
            seen_curves.add("evasion")
            summary.attack_curve = [
                {
                    "max_perturbation": p.get("max_perturbation"),
                    "success_rate": p.get("success_rate"),
                }
                for p in curve
            ]
        if finding.metric == "privacy.membership_inference_advantage":
            summary.roc = [dict(point) for point in evidence.get("roc") or []]
        if finding.metric == "robustness.poisoning_suspect_share":
            summary.suspects = [dict(row) for row in evidence.get("most_suspicious") or []]
    return summary
