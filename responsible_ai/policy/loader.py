"""Load policy files: parse YAML with line numbers, resolve ``extends``, validate all at once.

Every problem is reported together, each with its file, line and field, so a policy owner fixes a
file in one pass. Evaluation never sees an invalid policy.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from responsible_ai.errors import PolicyError, PolicyIssue
from responsible_ai.policy.extends import (
    MAX_EXTENDS_CHAIN,
    TOO_LONG,
    ExtendsRefused,
    allowed_roots,
    resolve_base,
)
from responsible_ai.policy.packs import resolve_policy_path
from responsible_ai.policy.reading import (
    UNREADABLE,
    Location,
    check_data_bounds,
    error_reason,
    parse_policy,
    read_policy_file,
)
from responsible_ai.policy.reading import PathInDocument as Path_
from responsible_ai.policy.reading import dotted_path as _dotted
from responsible_ai.policy.reading import shown_value as _shown
from responsible_ai.policy.schema import Policy

__all__ = [
    "NOTHING_CHECKED",
    "LoadedPolicy",
    "load_policy",
    "policy_from_dict",
    "require_checks",
    "validate_policy_files",
]

MAX_REPORTED_ISSUES = 50
MORE_ISSUES = "... and {count} more problems; fix these first"
NOTHING_CHECKED = (
    "nothing would be checked: policy {name!r} has no enabled check after 'extends' and "
    "'enabled: false'; add a check under 'checks:' or set 'enabled: true' on an inherited one"
)


@dataclass
class LoadedPolicy:
    """A validated policy with where it came from: every file in its ``extends`` chain."""

    policy: Policy
    path: Path | None
    files: list[dict[str, str]] = field(default_factory=list)
    #: Where each field was set: ``("data", "train") -> (file, line)``, across the chain.
    locations: dict[Path_, Location] = field(default_factory=dict, repr=False)

    @property
    def sha256(self) -> str | None:
        return self.files[0]["sha256"] if self.files else None

    def folder_of(self, *path: str) -> Path:
        """The folder of the policy file that set the field at ``path`` (``"data", "train"``):
        a file a policy names is relative to the policy that names it, not to the one that
        extends it. The top file's folder (else the current one) when no file set it."""
        where = self.locations.get(path)
        if where is not None:
            return Path(where[0]).parent
        return self.path.parent if self.path is not None else Path.cwd()


@dataclass
class _Raw:
    data: dict[str, Any]
    locations: dict[Path_, Location]
    files: list[dict[str, str]]


def load_policy(
    path: str | os.PathLike[str],
    *,
    text: str | bytes | None = None,
    allow_extends_path: Sequence[str | os.PathLike[str]] = (),
) -> LoadedPolicy:
    """Load and validate a policy file and the files it extends.

    Parameters
    ----------
    path : path
        The policy file, or the name of a shipped pack (``eeoc-four-fifths``) when no file of
        that name exists (see ``policy/packs.py``). Its folder is where ``extends`` may look
        (see ``policy/extends.py``).
    text : str or bytes, optional
        The policy's content, when it is not (yet) on disk, e.g. edited in the app; ``path``
        then only says where it would live.
    allow_extends_path : list of paths, optional
        Further folders a base policy may lie in.

    Raises
    ------
    PolicyError
        With every problem found, each naming file, line and field.
    """
    file = Path(path) if text is not None else resolve_policy_path(path)
    content = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    try:
        real = file.resolve()
        roots = allowed_roots(file, [os.fspath(p) for p in allow_extends_path])
    except (OSError, RuntimeError, ValueError) as error:  # a symlink loop, a NUL byte
        message = UNREADABLE.format(reason=error_reason(error))
        raise PolicyError([PolicyIssue(str(file), None, "", message)]) from None
    raw = _load_chain(file, real, content, roots, seen=())
    policy = _validate(raw.data, raw.locations, str(file))
    return LoadedPolicy(policy=policy, path=file, files=raw.files, locations=raw.locations)


def validate_policy_files(
    paths: list[str], *, allow_extends_path: Sequence[str | os.PathLike[str]] = ()
) -> list[PolicyIssue]:
    """Every problem in every given file (an empty list when all are valid).

    A policy that would check nothing is a problem too (see :func:`require_checks`).
    """
    issues: list[PolicyIssue] = []
    for path in paths:
        try:
            require_checks(load_policy(path, allow_extends_path=allow_extends_path))
        except PolicyError as error:
            issues.extend(error.issues)
    return issues


def policy_from_dict(data: dict[str, Any], source: str = "<dict>") -> Policy:
    """Validate a policy given as a Python dict (no ``extends``), e.g. built in a notebook."""
    if not isinstance(data, dict):
        message = f"expected a dict in the policy format; got {type(data).__name__}"
        raise PolicyError([PolicyIssue(source, None, "", message)])
    check_data_bounds(data, source)
    return _validate(data, {}, source)


def require_checks(policy: LoadedPolicy | Policy, source: str | None = None) -> None:
    """Refuse a policy with no enabled check: it would pass whatever it is given.

    Raises
    ------
    PolicyError
        ``nothing would be checked: ...``, naming the policy and the fix.
    """
    loaded = policy if isinstance(policy, LoadedPolicy) else LoadedPolicy(policy, None)
    if any(check.enabled for check in loaded.policy.checks):
        return
    where = source or (str(loaded.path) if loaded.path is not None else "<policy>")
    message = NOTHING_CHECKED.format(name=loaded.policy.name)
    raise PolicyError([PolicyIssue(where, None, "checks", message)])


def _load_chain(
    file: Path,
    real: Path,
    content: bytes | None,
    roots: list[Path],
    seen: tuple[Path, ...],
) -> _Raw:
    if real in seen:
        chain = " -> ".join(str(p) for p in (*seen, real))
        raise PolicyError([PolicyIssue(str(file), None, "extends", f"extends itself: {chain}")])
    if len(seen) >= MAX_EXTENDS_CHAIN:
        message = TOO_LONG.format(limit=MAX_EXTENDS_CHAIN)
        raise PolicyError([PolicyIssue(str(file), None, "extends", message)])
    if content is None:
        content = read_policy_file(real if seen else file)
    data, locations = parse_policy(content, str(file))
    files = [{"path": str(file), "sha256": hashlib.sha256(content).hexdigest()}]
    base_name = data.get("extends")
    if base_name is None:
        return _Raw(data, locations, files)
    try:
        base_file, base_real = resolve_base(base_name, file, roots)
    except ExtendsRefused as refused:
        line = locations.get(("extends",), (str(file), 0))[1]
        raise PolicyError([PolicyIssue(str(file), line, "extends", str(refused))]) from None
    base = _load_chain(base_file, base_real, None, roots, (*seen, real))
    merged, merged_locations = _merge(base, data, locations)
    return _Raw(merged, merged_locations, files + base.files)


def _merge(
    base: _Raw, child: dict[str, Any], child_locations: dict[Path_, Location]
) -> tuple[dict[str, Any], dict[Path_, Location]]:
    """Child overrides base: scalars replace, mappings merge by key, checks merge by ``id``."""
    merged: dict[str, Any] = {k: v for k, v in base.data.items() if k != "extends"}
    locations = {p: loc for p, loc in base.locations.items() if p[:1] != ("extends",)}

    # child locations by their first one and two steps, so that merging stays linear in size
    by_head: dict[Path_, list[tuple[Path_, Location]]] = {}
    for p, loc in child_locations.items():
        for size in (1, 2):
            if len(p) >= size:
                by_head.setdefault(p[:size], []).append((p, loc))

    def take(path: Path_, target: Path_) -> None:
        for p, loc in by_head.get(path, ()):
            locations[target + p[len(path) :]] = loc

    for key, value in child.items():
        if key == "checks" and isinstance(value, list) and isinstance(merged.get("checks"), list):
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
            for p in [p for p in locations if len(p) >= 2 and p[0] == key and p[1] in value]:
                del locations[p]
            for sub in value:
                take((key, sub), (key, sub))
        else:
            merged[key] = value
            for p in [p for p in locations if p[:1] == (key,)]:
                del locations[p]
            take((key,), (key,))

    base_checks = merged.get("checks")
    child_checks = child.get("checks")
    if isinstance(base_checks, list) and isinstance(child_checks, list):
        checks = [dict(c) if isinstance(c, dict) else c for c in base_checks]
        index_of = {
            c.get("id"): i for i, c in enumerate(checks) if isinstance(c, dict) and "id" in c
        }
        for child_index, check in enumerate(child_checks):
            check_id = check.get("id") if isinstance(check, dict) else None
            if check_id is not None and check_id in index_of:
                target = index_of[check_id]
                checks[target] = {**checks[target], **check}
            else:
                target = len(checks)
                checks.append(check)
                if check_id is not None:
                    index_of[check_id] = target
            take(("checks", child_index), ("checks", target))
        merged["checks"] = checks
    return merged, locations


def _validate(data: dict[str, Any], locations: dict[Path_, Location], source: str) -> Policy:
    issues: list[PolicyIssue] = []
    issues += _duplicate_check_ids(data, locations, source)
    policy: Policy | None = None
    try:
        policy = Policy.model_validate(data)
    except ValidationError as error:
        for problem in error.errors():
            if not problem["loc"] and "is used twice" in problem["msg"]:
                continue  # already reported with its line by _duplicate_check_ids
            path = _schema_path(problem["loc"], data)
            file, line = _nearest(path, locations, source)
            issues.append(PolicyIssue(file, line, _dotted(path), _message(problem)))
    issues += _check_params(data, locations, source)
    if issues:
        issues.sort(key=lambda i: (i.file != source, i.file, i.line or 0))
        if len(issues) > MAX_REPORTED_ISSUES:
            more = MORE_ISSUES.format(count=len(issues) - MAX_REPORTED_ISSUES)
            issues = [*issues[:MAX_REPORTED_ISSUES], PolicyIssue(source, None, "", more)]
        raise PolicyError(issues)
    assert policy is not None
    return policy


def _schema_path(loc: tuple[Any, ...], data: dict[str, Any]) -> Path_:
    # pydantic adds union-member and validator names (e.g. 'str', 'list[str]', 'function-before')
    # to locations; keep only the parts that exist in the document.
    path: list[str | int] = []
    node: Any = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and path[-1:] != [part]:
            # a missing required key: name it, though it has no line of its own
            if part.isidentifier():
                path.append(part)
            break
        else:
            break
    return tuple(path)


def _nearest(path: Path_, locations: dict[Path_, Location], source: str) -> tuple[str, int | None]:
    for size in range(len(path), -1, -1):
        if path[:size] in locations:
            return locations[path[:size]]
    return source, None


def _message(problem: Any) -> str:
    kind = problem["type"]
    if kind == "extra_forbidden":
        return "unknown key (a typo? unknown keys are errors so that no check is silently ignored)"
    if kind == "missing":
        return "required field is missing"
    message = str(problem["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if "input" in problem and kind not in ("value_error",):
        message += f" (got {_shown(problem['input'])})"
    return message


def _duplicate_check_ids(
    data: dict[str, Any], locations: dict[Path_, Location], source: str
) -> list[PolicyIssue]:
    issues: list[PolicyIssue] = []
    checks = data.get("checks")
    if not isinstance(checks, list):
        return issues
    first: dict[str, int] = {}
    for index, check in enumerate(checks):
        if not isinstance(check, dict) or not isinstance(check.get("id"), str):
            continue
        if check["id"] in first:
            file, line = _nearest(("checks", index, "id"), locations, source)
            issues.append(
                PolicyIssue(
                    file,
                    line,
                    f"checks[{index}].id",
                    f"check id {check['id']!r} is used twice "
                    f"(first at checks[{first[check['id']]}])",
                )
            )
        else:
            first[check["id"]] = index
    return issues


def _check_params(
    data: dict[str, Any], locations: dict[Path_, Location], source: str
) -> list[PolicyIssue]:
    """Validate each check's ``params`` against its metric's own parameter model."""
    from responsible_ai.checker.registry import get_metric, unknown_metric_message

    issues: list[PolicyIssue] = []
    checks = data.get("checks")
    if not isinstance(checks, list):
        return issues
    for index, check in enumerate(checks):
        if not isinstance(check, dict):
            continue
        metric = check.get("metric")
        if not isinstance(metric, str) or unknown_metric_message(metric):
            continue
        spec = get_metric(metric)
        params = check.get("params", {})
        if not isinstance(params, dict):
            continue  # the schema reports the wrong type
        model = spec.params_model()
        problems: list[tuple[Path_, str]] = []
        if model is None and params:
            problems.append(((), f"{metric} takes no params"))
        elif model is not None:
            try:
                model.model_validate(params)
            except ValidationError as error:
                problems += [(tuple(p["loc"]), _message(p)) for p in error.errors()]
        for sub, message in problems:
            path: Path_ = ("checks", index, "params", *sub)
            file, line = _nearest(path, locations, source)
            issues.append(PolicyIssue(file, line, _dotted(path), message))
        if not spec.grouped and check.get("by") is not None:
            file, line = _nearest(("checks", index, "by"), locations, source)
            issues.append(
                PolicyIssue(file, line, f"checks[{index}].by", f"{metric} does not group rows")
            )
    return issues
