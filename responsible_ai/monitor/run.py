"""``monitor(...)``: prediction logs and a policy in, windows, alerts and a report out.

Reads only the files it has not counted before (``previous``: the state a store keeps), merges
their counts into the previous ones and re-evaluates only the windows they touched. A state read
from a state file gives the counts of those windows only (the rest stay on disk), and the
sequential tests continue from their kept state over those windows; the alerts are then run over
every window (cheap: they read per-window numbers only).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError
from responsible_ai.monitor.profile import ReferenceProfile
from responsible_ai.monitor.state import MonitorState
from responsible_ai.monitor.windows import WindowCounts, window_order

if TYPE_CHECKING:
    from responsible_ai.policy.loader import LoadedPolicy

__all__ = ["MonitorResult", "MonitorState", "monitor", "monitor_name"]

NO_MONITORING = (
    "{policy} has no monitoring: section; add one (see policies/monitoring.yaml and "
    "docs/monitor.md)"
)
NO_PREDICTION = "rai monitor needs data.prediction in the policy: the logged decision column"
NO_POSITIVE = "rai monitor needs data.positive_label in the policy: the favourable decision"
FILE_CHANGED = (
    "{path} changed since the monitor counted it; logs are append-only: write new rows to a new "
    "file (or start a new monitor)"
)
ALREADY_COUNTED = (
    "{path} is {counted}, already counted by this monitor under that name; give the logs as "
    "before, or start a new monitor"
)
NOTHING_NEW = "no new log files: every file of {logs} is already counted"
REFERENCE_OUTSIDE = (
    "monitoring.reference {path!r} leads outside {home}, the folder above the policy that names "
    "it; keep the reference data under that folder or give it with --reference FILE"
)
NO_REFERENCE_NOTE = "no reference data (--reference or monitoring.reference): no drift computed"


@dataclass
class MonitorResult:
    """The outcome of one ``monitor`` run.

    Attributes
    ----------
    report : Report
        One finding per alert rule; ``verdict`` fail when an alert at ``fail_on`` fires.
    windows : list of dict
        Per window: rows, checks (values, per-group rates and intervals), drift, performance.
    sequential : dict
        Rule id -> :class:`~responsible_ai.monitor.sequential.SequentialResult`.
    state : MonitorState
        What ``--follow`` continues from.
    new_files : list of str
        The files this run counted.
    """

    name: str
    report: Any
    sequential: dict[str, Any]
    state: MonitorState
    new_files: list[str] = field(default_factory=list)
    fresh_counts: WindowCounts | None = None

    @property
    def windows(self) -> list[dict[str, Any]]:
        """Per window: rows, checks (values, per-group rates and intervals), drift,
        performance (read from the state file when this run did not touch the window)."""
        return self.state.windows


def _reference_path(reference: str | os.PathLike[str] | None, loaded: Any) -> Path | None:
    if reference is not None:
        return Path(reference)
    settings = loaded.policy.monitoring
    if settings.reference is None:
        return None
    from responsible_ai.policy.named_files import named_file
    from responsible_ai.resources import shipped_sample_data_dir

    # a project's policies/ and its data side by side; the shipped pack names the shipped sample
    field, shipped = ("monitoring", "reference"), [shipped_sample_data_dir()]
    return named_file(
        loaded, field, settings.reference, REFERENCE_OUTSIDE, also=shipped, levels_up=1
    )


def _profile(path: Path, loaded: Any) -> ReferenceProfile:
    from responsible_ai.data_files import read_table
    from responsible_ai.hashing import sha256_file
    from responsible_ai.monitor.evaluate import _drift_methods
    from responsible_ai.monitor.profile import build_profile

    policy = loaded.policy
    roles = policy.data
    frame = read_table(path)
    return build_profile(
        frame,
        list(_drift_methods(policy)),
        list(policy.monitoring.categorical),
        score=roles.score,
        target=roles.target,
        positive_label=str(roles.positive_label),
        where=str(path),
        source={"path": str(path), "sha256": sha256_file(path), "rows": len(frame)},
    )


def _spec(loaded: Any, profile: ReferenceProfile | None) -> Any:
    from responsible_ai.monitor.reading import LogSpec
    from responsible_ai.monitor.settings import parse_window

    policy = loaded.policy
    roles = policy.data
    features = profile.features if profile is not None else {}
    return LogSpec(
        timestamp=policy.monitoring.timestamp,
        window=parse_window(policy.monitoring.window),
        sensitive=list(roles.sensitive),
        prediction=str(roles.prediction),
        positive_label=_label_text(roles.positive_label),
        target=roles.target,
        score=roles.score,
        numeric={n: f.edges for n, f in features.items() if f.kind == "numeric"},
        categorical=[n for n, f in features.items() if f.kind == "categorical"],
    )


def _label_text(label: Any) -> str:
    import pandas as pd

    from responsible_ai.monitor.reading import _text

    return str(_text(pd.Series([label], dtype=object)).iloc[0])


def monitor_name(policy: str | os.PathLike[str]) -> str:
    """A monitor's default name: its policy's name."""
    from responsible_ai.policy.loader import load_policy

    return load_policy(policy).policy.name


def monitor(
    logs: str | os.PathLike[str],
    policy: str | os.PathLike[str] | LoadedPolicy,
    *,
    reference: str | os.PathLike[str] | None = None,
    previous: MonitorState | None = None,
    engine: str = "auto",
    name: str | None = None,
) -> MonitorResult:
    """Monitor prediction logs against the policy's ``monitoring:`` section.

    Parameters
    ----------
    logs : path
        A CSV or Parquet file, a folder of them, or a glob.
    policy : path or LoadedPolicy
        A policy file (or shipped pack) with a ``monitoring:`` section, or the policy
        :func:`~responsible_ai.policy.loader.load_policy` loaded from one.
    reference : path, optional
        Reference data (what the windows drift from); default ``monitoring.reference``.
    previous : MonitorState, optional
        Continue a monitor: only files it has not counted are read.
    engine : {"auto", "duckdb", "batches"}
    name : str, optional
        The monitor's name (default: the policy's name).

    Returns
    -------
    MonitorResult

    Raises
    ------
    InputError
        Bad logs, a policy without ``monitoring:``, a changed log file, nothing new to read.
    """
    from responsible_ai.engines.sources import data_sources
    from responsible_ai.monitor.evaluate import evaluate_windows, window_checks
    from responsible_ai.monitor.reading import count_logs
    from responsible_ai.policy.loader import LoadedPolicy, load_policy

    started = time.perf_counter()
    loaded = policy if isinstance(policy, LoadedPolicy) else load_policy(policy)
    active = loaded.policy
    if active.monitoring is None:
        where = loaded.path if isinstance(policy, LoadedPolicy) else policy
        raise InputError(NO_MONITORING.format(policy=where or active.name))
    if active.data.prediction is None:
        raise InputError(NO_PREDICTION)
    if active.data.positive_label is None:
        raise InputError(NO_POSITIVE)
    files, kind = data_sources(logs)
    notes: list[str] = []
    stamps: dict[str, list[Any]] = {}
    if previous is not None:
        profile = previous.profile
        known = previous.meta.files
        counted_as = _counted_names(files, known)
        counted_as |= _renamed([p for p in files if p not in counted_as], previous.meta.stamps)
        stamps = _verify_counted(files, counted_as, known, previous.meta.stamps)
        files = [p for p in files if p not in counted_as]
        if not files:
            raise InputError(NOTHING_NEW.format(logs=logs))
    else:
        where = _reference_path(reference, loaded)
        profile = _profile(where, loaded) if where is not None else None
    if profile is None:
        notes.append(NO_REFERENCE_NOTE)
    spec = _spec(loaded, profile)
    first_row = previous.meta.rows_total if previous is not None else 0
    fresh = count_logs(files, kind, spec, first_row=first_row, engine=engine)
    touched = set(fresh.windows)
    lazy = previous is not None and not previous.loaded
    # Only the rows of the windows the new files touch, when the state keeps them on disk.
    counts = previous.counts_of(touched).merge(fresh) if previous is not None else fresh
    if previous is not None:
        counts.stamps = {**counts.stamps, **stamps, **fresh.stamps}
    items, skipped = window_checks(active)
    notes += skipped
    kept = {
        w["window"]: w for w in (previous.entries if previous else []) if w["window"] not in touched
    }
    redo = WindowCounts(
        counts.sensitive,
        counts.groups[counts.groups["window"].isin(touched)],
        counts.scores[counts.scores["window"].isin(touched)],
        counts.features[counts.features["window"].isin(touched)],
    )
    for result in evaluate_windows(redo, active, profile, items):
        kept[result["window"]] = result
    names = sorted({*(previous.window_names if previous else ()), *touched}, key=window_order)
    windows = [kept[w] for w in names if w in kept]
    # Windows kept from a state file without their per-group numbers stay so until asked for.
    light = previous.light - touched if previous is not None else set()
    if previous is not None and lazy:
        changed = previous.changed_with(counts)
        state = MonitorState(
            None, profile, windows, stored=previous.stored, changed=changed, light=light
        )
    else:
        stored = previous.stored if previous is not None else None
        state = MonitorState(counts, profile, windows, stored=stored, light=light)
    sequential = _sequential(
        active, windows, counts, previous.sequential if previous else {}, touched, state
    )
    state.sequential = sequential
    from responsible_ai.monitor.alerts import alert_findings

    findings = alert_findings(active, items, windows, sequential, full=state.full_window)
    report = _report(loaded, findings, state.meta, names, profile, notes, started, logs)
    return MonitorResult(
        name or active.name,
        report,
        sequential,
        state,
        [str(p) for p in files],
        fresh,
    )


def _counted_names(files: list[Path], known: dict[str, str]) -> dict[Path, str]:
    """The name each given file was counted under, for those counted: the same file however it
    is spelled now (``logs/a.parquet``, ``./logs/a.parquet``, an absolute path, another working
    folder for an absolute name)."""
    by_real: dict[str, str] = {}
    for counted in known:
        with contextlib.suppress(OSError, ValueError):
            by_real.setdefault(os.path.realpath(counted), counted)
    names: dict[Path, str] = {}
    for path in files:
        name: str | None = str(path) if str(path) in known else None
        if name is None:
            name = by_real.get(os.path.realpath(path))
        if name is not None:
            names[path] = name
    return names


def _renamed(files: list[Path], stamps: dict[str, list[Any]]) -> dict[Path, str]:
    """Counted files under a new name: same size, modification time and content at both ends
    as a counted file whose name no longer leads to a file from here (the logs moved, or a
    relative name was counted from another folder).

    Raises
    ------
    InputError
        ``ALREADY_COUNTED``: a second name (a copy with its time kept, a hard link) of a counted
        file that is still there; counting it would count its rows twice.
    """
    if not files or not stamps:
        return {}
    from responsible_ai.monitor.reading import file_stamp

    seen = {tuple(map(str, stamp)): name for name, stamp in stamps.items()}
    renamed: dict[Path, str] = {}
    for path in files:
        counted = seen.get(tuple(map(str, file_stamp(path))))
        if counted is None:
            continue
        if os.path.exists(counted):
            raise InputError(ALREADY_COUNTED.format(path=path, counted=counted))
        renamed[path] = counted
    return renamed


def _verify_counted(
    files: list[Path], names: dict[Path, str], known: dict[str, str], stamps: dict[str, list[Any]]
) -> dict[str, list[Any]]:
    """Refuse a counted file that changed: hashed in full again only when its stamp (size,
    modification time, hash of both ends) differs from the recorded one, or none was recorded.

    Returns the stamps of the counted files as they are now, by the names they were counted
    under.

    Raises
    ------
    InputError
        A counted file whose content is not what was counted.
    """
    from responsible_ai.engines.sources import files_sha256
    from responsible_ai.monitor.reading import file_stamp

    now: dict[str, list[Any]] = {}
    for path in files:
        key = names.get(path)
        if key is None:
            continue
        stamp = file_stamp(path)
        if stamps.get(key) != stamp and known[key] != files_sha256([path]):
            raise InputError(FILE_CHANGED.format(path=path))
        now[key] = stamp
    return now


def _sequential(
    policy: Any,
    windows: list[dict[str, Any]],
    counts: WindowCounts,
    kept: dict[str, Any],
    touched: set[str],
    state: MonitorState,
) -> dict[str, Any]:
    """Each sequential rule's test: continued from ``kept`` (the state's) over the ``touched``
    windows when it was run with the same settings, else run over every window."""
    from responsible_ai.monitor.alerts import sequential_inputs
    from responsible_ai.monitor.sequential import continue_sequential, run_sequential

    names = [w["window"] for w in windows]
    min_rows = policy.fairness.min_group_size
    results = {}
    for rule in policy.monitoring.sequential:
        old = kept.get(rule.id)
        subject = (rule.metric, rule.by)
        settings = (rule.tolerance, rule.alpha, rule.lookback, min_rows)
        if (
            old is not None
            and getattr(old, "subject", ()) == subject
            and (old.tolerance, old.alpha, old.lookback, old.min_rows) == settings
            and {*old.windows, *touched} == set(names)
        ):
            changed = [w for w in windows if w["window"] in touched]
            hits, sizes = sequential_inputs(rule, changed, counts)
            result = continue_sequential(old, [w["window"] for w in changed], hits, sizes)
        else:
            # Every window's counts (read from the state file when they are kept there).
            hits, sizes = sequential_inputs(rule, windows, state.counts)
            result = run_sequential(
                names,
                hits,
                sizes,
                tolerance=rule.tolerance,
                alpha=rule.alpha,
                lookback=rule.lookback,
                min_rows=min_rows,
            )
        result.subject = subject
        results[rule.id] = result
    return results


def _recorded_sha256(hashes: dict[str, str]) -> str:
    """:func:`~responsible_ai.engines.sources.files_sha256` of the files, from their recorded
    hashes (every file was hashed when it was counted: not read again)."""
    import hashlib

    if len(hashes) == 1:
        return next(iter(hashes.values()))
    digest = hashlib.sha256()
    for path in sorted(hashes, key=Path):
        digest.update(f"{Path(path)}\0{hashes[path]}\n".encode())
    return digest.hexdigest()


def _report(
    loaded: Any,
    findings: list[Any],
    counts: WindowCounts,
    windows: list[str],
    profile: ReferenceProfile | None,
    notes: list[str],
    started: float,
    logs: Any,
) -> Any:
    from responsible_ai.auditing import package_versions
    from responsible_ai.checker.evaluate import verdict_of
    from responsible_ai.report.model import Report

    active = loaded.policy
    files = [Path(p) for p in sorted(counts.files)]
    inputs: dict[str, Any] = {
        "data": {
            "path": os.fspath(logs),
            "sha256": _recorded_sha256(counts.files) if files else None,
            "rows": counts.rows_total,
            "files": len(files),
            "windows": len(windows),
            "first_window": windows[0] if windows else None,
            "last_window": windows[-1] if windows else None,
        },
        "policy": {"path": str(loaded.path) if loaded.path else None, "sha256": loaded.sha256},
    }
    if profile is not None:
        inputs["reference"] = profile.source
    return Report(
        verdict=verdict_of(findings, active),
        checks=findings,
        policy={
            "name": active.name,
            "version": active.version,
            "fail_on": active.fail_on,
            "path": str(loaded.path) if loaded.path else None,
            "files": loaded.files,
        },
        inputs=inputs,
        roles=active.data.model_dump(exclude_none=True),
        data_notes=[
            f"{counts.rows_total} prediction(s) in {len(windows)} window(s) of "
            f"{active.monitoring.window}, {len(files)} file(s)",
            *notes,
        ],
        versions=package_versions(),
        seed=active.seed,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_seconds=round(time.perf_counter() - started, 3),
    )
