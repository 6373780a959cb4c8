"""Mitigation of an audit run (the app's Mitigation page): search, then the chosen candidate as
a new run for review."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from responsible_ai.audit_run import AuditRun, policy_from_text
from responsible_ai.errors import InputError
from responsible_ai.mitigate.comparison import mitigation_section
from responsible_ai.mitigate.search import MitigationResult, search

__all__ = ["NEEDS_MODEL", "MitigatedRun", "mitigate_run"]

NEEDS_MODEL = (
    "mitigation refits the run's model: this run has no model (decisions from a column, or a "
    "run opened from the store); upload the data and a .skops model on the Data and model page"
)


@dataclass
class MitigatedRun:
    """The search, its report section, and the chosen candidate as a run (None if none passed)."""

    result: MitigationResult
    section: dict[str, Any]
    chosen_run: AuditRun | None


def mitigate_run(
    run: Any,
    *,
    methods: Sequence[str] | None = None,
    checks: Sequence[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> MitigatedRun:
    """Search for a mitigated model of ``run`` (its data, model and policy text).

    The chosen candidate's run holds its audit on the held-out split (with the mitigation section
    in its report), the held-out rows as data and the mitigated model.

    Raises
    ------
    InputError
        The run has no data or no model to refit, or the policy does not fit mitigation.
    """
    if getattr(run, "stored", False) or run.frame is None or run.model is None:
        raise InputError(NEEDS_MODEL)
    loaded = policy_from_text(run.policy_text, run.policy_dir, run.policy_name)
    result = search(
        run.frame, loaded, run.model, methods=methods, checks=checks, on_progress=on_progress
    )
    section = mitigation_section(result)
    chosen_run = None
    chosen = result.chosen
    if chosen is not None and chosen.report is not None:
        chosen.report.mitigation = section
        test_rows = run.frame.loc[chosen.report_rows] if chosen.report_rows is not None else None
        chosen_run = AuditRun(
            report=chosen.report,
            frame=test_rows if test_rows is not None else run.frame,
            model=chosen.model,
            policy_text=run.policy_text,
            policy_name=run.policy_name,
            policy_dir=run.policy_dir,
            label=f"{run.label or 'run'}, mitigated: {chosen.trial.name}",
        )
    return MitigatedRun(result=result, section=section, chosen_run=chosen_run)
