"""An audit as the review app holds it: the report plus the data, model and policy text behind it.

The app keeps one :class:`AuditRun` per browser session, opens on :func:`sample_run` (the German
credit sample audited with the lending policy and its reference model), re-runs it when the policy
text is edited (:func:`rerun_with_policy`), and audits uploads with :func:`run_audit`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from responsible_ai.errors import InputError, PolicyError, PolicyIssue

if TYPE_CHECKING:
    import pandas as pd

    from responsible_ai.checker.findings import Finding
    from responsible_ai.policy.loader import LoadedPolicy
    from responsible_ai.report.model import Report
    from responsible_ai.store.store import ReviewStore

__all__ = [
    "SAMPLE_POLICY",
    "AuditRun",
    "StoredRun",
    "check_policy_text",
    "findings_of_family",
    "loaded_sample",
    "open_stored_run",
    "parse_run_id",
    "policies_dir",
    "policy_from_text",
    "recorded_policy_text",
    "rerun_with_policy",
    "run_audit",
    "run_source",
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
    #: Whether the run came from the store without its data and model (see :class:`StoredRun`).
    stored: ClassVar[bool] = False

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
    loaded = _as_edit(loaded, policy_text, policy_dir / policy_name)
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


def _as_edit(loaded: LoadedPolicy, text: str, original: Path) -> LoadedPolicy:
    """``loaded`` with the version of an edit when ``text`` differs from the file it came from.

    The file is only read, through the bounded loader (the app never writes a pack: only an
    admin or git changes them); an edited text runs as ``<the file's version>+edit.<its
    hash>``, so that a report never claims a pack's version for text that is not the pack's.
    """
    from responsible_ai.policy.loader import load_policy
    from responsible_ai.policy.versions import edited_version

    if not original.is_file():
        return loaded  # text of no file (an upload): its own version is all there is
    try:
        pack = load_policy(original)
    except PolicyError:  # no valid file to compare with: nothing to call an edit of
        return loaded
    if pack.sha256 == loaded.sha256:
        return loaded
    version = edited_version(pack.policy.version, text)
    return replace(loaded, policy=loaded.policy.model_copy(update={"version": version}))


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


def recorded_policy_text(run: AuditRun) -> dict[str, str]:
    """The exact text of every policy file the run used, by path, for ``save_run(policy_text=)``.

    The first file's text is the run's own (perhaps edited in the app, so not what is on disk);
    the files it extends are read back and must still have the hashes the report recorded.
    """
    from responsible_ai.store.submit import policy_texts

    files = list(run.report.policy.get("files") or [])
    if not files:
        return {"<inline>": run.policy_text}
    bases = replace(run.report, policy={**run.report.policy, "files": files[1:]})
    return {str(files[0].get("path")): run.policy_text, **policy_texts(bases)}


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


def loaded_sample() -> AuditRun | None:
    """The sample if :func:`sample_run` has computed it in this process, else None (no wait)."""
    return _SAMPLE.get("german_credit")


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
        data_name="german_credit.csv (shipped sample data)",
    )


BAD_RUN_ID = "run {given!r} is not a run id: give a whole number such as ?run=3"
STORE_BROKEN = (
    "the review store's chain is broken ({problem}): its runs are not opened for review; run "
    "rai store verify"
)
DATA_NOT_STORED = (
    "Run {run} came from the review store, which keeps its report but not its data or model: "
    "{what} needs them, so this page shows only what the report records. To see {what}, audit "
    "the data and model on the Data and model page."
)
#: Provenance keys a reviewer recognises, in the order the app shows them.
_SOURCE = (("commit", "commit"), ("branch", "branch"), ("ci_job_url", "CI job"))


@dataclass(frozen=True)
class StoredRun:
    """A run opened from the review store: its report and record, without data or model.

    What CI submits (``rai check --submit``) reaches the store as a report; the data and the
    model stay with whoever audited them. Pages that only read the report (overview, fairness
    evidence, review, download) work on a stored run as on an :class:`AuditRun`; pages that
    need the data or the model say so (``stored`` is True, ``frame`` and ``model`` are None).

    Attributes
    ----------
    report : Report
    run_id : int
    label : str
    submitted_by, submitted_role : str
        Who submitted it (empty for a run of the app itself).
    provenance : dict
        ``commit``, ``branch``, ``ci_job_url``, ... as recorded at submission.
    policy_texts : dict
        The exact text of every policy file that ran, by path, in ``extends`` order.
    """

    report: Report
    run_id: int
    label: str = ""
    submitted_by: str = ""
    submitted_role: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    policy_texts: dict[str, str] = field(default_factory=dict)
    stored: ClassVar[bool] = True
    frame: ClassVar[None] = None
    model: ClassVar[None] = None
    options: ClassVar[dict[str, Any]] = {}

    @property
    def policy_text(self) -> str:
        """The text of the run's own policy file (the first the report lists)."""
        return next(iter(self.policy_texts.values()), "")

    @property
    def policy_name(self) -> str:
        first = next(iter(self.policy_texts), "")
        return Path(first).name if first and not first.startswith("<") else "policy.yaml"

    @property
    def policy_dir(self) -> Path:
        """Where the recorded policy's ``extends`` resolves when it is audited again."""
        return policies_dir()

    @property
    def sensitive(self) -> list[str]:
        return list(self.report.roles.get("sensitive") or [])

    @property
    def features(self) -> list[str]:
        return [str(c) for c in (self.report.inputs.get("model") or {}).get("features") or []]


def parse_run_id(given: object) -> int:
    """A run id as typed in a URL (``?run=3``); refuses anything but a positive whole number."""
    text = str(given).strip()
    if not text.isdigit() or int(text) < 1 or len(text) > 18:
        raise InputError(BAD_RUN_ID.format(given=text[:40]))
    return int(text)


def open_stored_run(store: ReviewStore, run_id: int) -> StoredRun:
    """Run ``run_id`` as the store holds it, read only, after verifying the store's chains.

    Raises
    ------
    InputError
        No such run, a keyed store without its key, or a broken chain (nothing is shown from a
        store whose records may have been edited).
    """
    check = store.verify()
    if not check.ok:
        raise InputError(STORE_BROKEN.format(problem=check.problem))
    record = store.run_record(run_id)  # InputError naming the store for an unknown run
    texts = record.get("policy_text") or {}
    report = store.report(run_id)
    return StoredRun(
        report=report,
        run_id=run_id,
        label=str(record.get("label") or "") or _data_name(report),
        submitted_by=str(record.get("submitted_by") or ""),
        submitted_role=str(record.get("submitted_role") or ""),
        provenance=dict(record.get("provenance") or {}),
        policy_texts={str(k): str(v) for k, v in texts.items()},
    )


def _data_name(report: Report) -> str:
    """What to call a run submitted without a label: the file its data came from."""
    path = (report.inputs.get("data") or {}).get("path")
    return Path(str(path)).name if path else "submitted run"


def run_source(record: dict[str, Any]) -> list[tuple[str, str]]:
    """Who submitted a stored run and where from, as (what, value) pairs a reviewer reads.

    ``record`` is :meth:`ReviewStore.run_record`; only what was recorded is listed.
    """
    lines: list[tuple[str, str]] = []
    if record.get("submitted_by"):
        role = record.get("submitted_role")
        lines.append(("submitted by", f"{record['submitted_by']}" + (f" ({role})" if role else "")))
    provenance = record.get("provenance") or {}
    for key, what in _SOURCE:
        value = str(provenance.get(key) or "").strip()
        if value:
            lines.append((what, value[:12] if key == "commit" else value))
    return lines


def findings_of_family(report: Report, family: str) -> list[Finding]:
    """The report's findings whose metric belongs to ``family`` (``explain``, ``privacy``)."""
    return [f for f in report.checks if str(f.metric).split(".", 1)[0] == family]
