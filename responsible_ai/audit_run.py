"""An audit as the review app holds it: the report plus the data, model and policy text behind it.

The app keeps one :class:`AuditRun` per browser session, opens on :func:`sample_run` (the German
credit sample audited with the lending policy and its reference model), re-runs it when the policy
text is edited (:func:`rerun_with_policy`), and audits uploads with :func:`run_audit`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import PolicyError, PolicyIssue

if TYPE_CHECKING:
    import pandas as pd

    from responsible_ai.policy.loader import LoadedPolicy
    from responsible_ai.report.model import Report

__all__ = [
    "SAMPLE_POLICY",
    "AuditRun",
    "check_policy_text",
    "policies_dir",
    "policy_from_text",
    "rerun_with_policy",
    "run_audit",
    "sample_run",
    "shipped_policies",
]

SAMPLE_POLICY = "german-credit-lending.yaml"


def policies_dir() -> Path:
    """The shipped policy packs (``policies/`` of the repository, package data when installed)."""
    from responsible_ai.policy.extends import shipped_policies_dir

    return shipped_policies_dir()


def shipped_policies() -> list[Path]:
    """The shipped policy files, sorted by name."""
    directory = policies_dir()
    return sorted(directory.glob("*.yaml")) if directory.is_dir() else []


@dataclass
class AuditRun:
    """A report with what produced it, so that it can be explained, edited and re-run.

    Attributes
    ----------
    report : Report
    frame : DataFrame
        The audited data, as given (before role resolution).
    model : estimator or None
        The fitted model, when the decisions came from one.
    policy_text : str
        The YAML text of the policy that ran.
    policy_name : str
        File name of the policy, e.g. ``german-credit-lending.yaml``.
    policy_dir : Path
        Directory against which the policy's ``extends`` resolves.
    options : dict
        Role overrides given to :func:`responsible_ai.audit` (prediction, target, sensitive,
        positive_label).
    label : str
        What a reviewer calls this run (``German credit sample``, an uploaded file name).
    """

    report: Report
    frame: pd.DataFrame
    model: Any
    policy_text: str
    policy_name: str
    policy_dir: Path
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    @property
    def sensitive(self) -> list[str]:
        """The sensitive columns the audit used."""
        return list(self.report.roles.get("sensitive") or [])

    @property
    def features(self) -> list[str]:
        """The model's input columns, or every column that plays no role when there is none."""
        model_inputs = (self.report.inputs.get("model") or {}).get("features")
        if model_inputs:
            return [str(c) for c in model_inputs]
        roles = self.report.roles
        used = {roles.get(k) for k in ("target", "prediction", "score", "weight")}
        return [c for c in self.frame.columns if c not in used and c not in self.sensitive]


def policy_from_text(text: str, directory: Path, name: str = "policy.yaml") -> LoadedPolicy:
    """Validate policy YAML given as text, as if it were the file ``directory/name``.

    Its ``extends`` resolves as that file's would (``directory``, the shipped packs); nothing is
    written to disk.

    Raises
    ------
    PolicyError
        Every problem, located by file (``directory/name``), line and field.
    """
    from responsible_ai.policy.loader import load_policy

    return load_policy(directory / name, text=text)


def check_policy_text(text: str, directory: Path, name: str = "policy.yaml") -> list[PolicyIssue]:
    """Every problem of a policy given as text (one that checks nothing is a problem too); an
    empty list when it can be audited with."""
    from responsible_ai.policy.loader import require_checks

    try:
        require_checks(policy_from_text(text, directory, name))
    except PolicyError as error:
        return error.issues
    return []


def run_audit(
    frame: pd.DataFrame,
    policy_text: str,
    *,
    policy_name: str,
    policy_dir: Path,
    model: Any = None,
    label: str = "",
    **options: Any,
) -> AuditRun:
    """Audit ``frame`` (and ``model``) against policy text; ``options`` are role overrides.

    Raises
    ------
    PolicyError, InputError
        The policy is invalid or the data does not fit it, with the fix in the message.
    """
    from responsible_ai.auditing import audit

    loaded = policy_from_text(policy_text, policy_dir, policy_name)
    given = {key: value for key, value in options.items() if value not in (None, [], "")}
    report = audit(frame, loaded, model=model, **given)
    return AuditRun(
        report=report,
        frame=frame,
        model=model,
        policy_text=policy_text,
        policy_name=policy_name,
        policy_dir=policy_dir,
        options=given,
        label=label,
    )


def rerun_with_policy(run: AuditRun, policy_text: str) -> AuditRun:
    """The same data, model and roles audited against edited policy text."""
    return run_audit(
        run.frame,
        policy_text,
        policy_name=run.policy_name,
        policy_dir=run.policy_dir,
        model=run.model,
        label=run.label,
        **run.options,
    )


def _sample_model(dataset_name: str) -> Any:
    """The reference model, trained now (deterministic, about a second).

    Training is faster than loading the saved ``.skops`` file, whose safe loader imports every
    scikit-learn module to list the trusted types.
    """
    from responsible_ai.reference_models import train_reference_model

    model, _ = train_reference_model(dataset_name)
    return model


_SAMPLE_LOCK = threading.Lock()
_SAMPLE: dict[str, AuditRun] = {}


def sample_run() -> AuditRun:
    """The German credit sample audited with the lending policy and the reference model.

    Computed once per process (thread-safe), so that ``rai app`` can start it while the server
    starts and the first page finds it ready.
    """
    with _SAMPLE_LOCK:
        if "german_credit" not in _SAMPLE:
            _SAMPLE["german_credit"] = _audit_sample()
        return _SAMPLE["german_credit"]


def _audit_sample() -> AuditRun:
    from responsible_ai.datasets import load_german_credit

    german = load_german_credit()
    path = policies_dir() / SAMPLE_POLICY
    return run_audit(
        german.data,
        path.read_text(encoding="utf-8"),
        policy_name=SAMPLE_POLICY,
        policy_dir=policies_dir(),
        model=_sample_model("german_credit"),
        label="German credit sample (reference model)",
    )
