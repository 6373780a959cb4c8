"""Submit a run for review: into a local store, or over HTTP to the API of ``rai serve``.

A run carries its full report, the exact text of every policy file that ran, who submitted it
and where from (git commit and branch, CI job). Over HTTP the request is the contract of
``docs/service.md``: ``POST TARGET/v1/runs`` with ``Authorization: Bearer $RAI_TOKEN`` and the
body ``{"report": ..., "policy_text": {...}, "provenance": {...}}``; the answer is
``{"id": N, "url": "..."}``. Standard library only: a CI job needs nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError
from responsible_ai.store.api_client import TOKEN_ENV, api_request, is_http, shown_http

if TYPE_CHECKING:
    from responsible_ai.report.model import Report
    from responsible_ai.store.identity import Identity

__all__ = [
    "APP_URL_ENV",
    "SUBMIT_ENV",
    "TOKEN_ENV",
    "Submission",
    "app_url",
    "collect_provenance",
    "policy_texts",
    "resolve_target",
    "submit_report",
]

SUBMIT_ENV = "RAI_SUBMIT"
APP_URL_ENV = "RAI_APP_URL"
DEFAULT_APP_URL = "http://127.0.0.1:8501"
MAX_POLICY_BYTES = 1 << 20

POLICY_CHANGED = (
    "the policy file {path} changed since the audit (SHA-256 differs): audit again, then submit"
)
POLICY_UNREADABLE = "cannot read the policy file {path} to submit its text: {reason}"
BAD_ANSWER = "the API at {url} gave an answer without a run id: expected {{'id': N, 'url': ...}}"


@dataclass(frozen=True)
class Submission:
    """A submitted run: its id in the store and its page in the review app."""

    id: int
    url: str


def app_url(run_id: int) -> str:
    """The run's page in the review app (``$RAI_APP_URL``, default the local app)."""
    base = (os.environ.get(APP_URL_ENV) or DEFAULT_APP_URL).rstrip("/")
    return f"{base}/?run={run_id}"


def resolve_target(target: str | bool | None) -> str:
    """The submission target: given, else ``$RAI_SUBMIT``, else the default local store."""
    from responsible_ai.store.store import default_store_url

    if isinstance(target, str) and target.strip():
        return target.strip()
    return os.environ.get(SUBMIT_ENV) or default_store_url()


def store_url(target: str) -> str:
    """A SQLAlchemy URL for a store target: a URL as it is, a path as a SQLite file.

    A target with ``@`` but no scheme (``rai:pw@host/db``) is a URL missing its scheme, not a
    file to create: it stays a URL, which the store refuses with the password masked.
    """
    if "://" in target or "@" in target:
        return target
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None


def _ci(env: dict[str, str]) -> dict[str, str]:
    """The CI provider and job of the usual variables (GitHub, GitLab, Jenkins, generic)."""
    if env.get("GITHUB_ACTIONS") or env.get("GITHUB_RUN_ID"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        found = {"ci_provider": "github"}
        if env.get("GITHUB_REPOSITORY") and env.get("GITHUB_RUN_ID"):
            found["ci_job_url"] = (
                f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
            )
        found["commit"] = env.get("GITHUB_SHA", "")
        found["branch"] = env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME", "")
        return found
    if env.get("GITLAB_CI") or env.get("CI_JOB_URL"):
        return {
            "ci_provider": "gitlab",
            "ci_job_url": env.get("CI_JOB_URL", ""),
            "commit": env.get("CI_COMMIT_SHA", ""),
            "branch": env.get("CI_COMMIT_REF_NAME", ""),
        }
    if env.get("BUILD_URL") or env.get("JENKINS_URL"):
        return {
            "ci_provider": "jenkins",
            "ci_job_url": env.get("BUILD_URL", ""),
            "commit": env.get("GIT_COMMIT", ""),
            "branch": env.get("GIT_BRANCH") or env.get("BRANCH_NAME", ""),
        }
    if env.get("CI"):
        return {
            "ci_provider": "ci",
            "commit": env.get("CI_COMMIT_SHA", ""),
            "branch": env.get("CI_COMMIT_REF_NAME", ""),
        }
    return {}


def collect_provenance(folder: Path | str | None = None) -> dict[str, str]:
    """Where a run comes from: git commit and branch of ``folder`` (the data's folder, else
    the current one) and the CI job; whatever is unknown is left out, never an error."""
    where = Path(folder) if folder else Path.cwd()
    if where.is_file():
        where = where.parent
    found: dict[str, str] = {}
    commit = _git(where, "rev-parse", "HEAD")
    branch = _git(where, "rev-parse", "--abbrev-ref", "HEAD")
    if commit:
        found["commit"] = commit
    if branch and branch != "HEAD":
        found["branch"] = branch
    # The CI's own variables win: a CI checkout is often a detached HEAD.
    found |= {name: value for name, value in _ci(dict(os.environ)).items() if value}
    return found


def policy_texts(report: Report) -> dict[str, str]:
    """The exact text of every policy file of the run (the ``extends`` chain), by path; each
    must still have the SHA-256 the report recorded."""
    texts: dict[str, str] = {}
    for item in report.policy.get("files") or []:
        path = Path(str(item.get("path")))
        try:
            if path.stat().st_size > MAX_POLICY_BYTES:
                raise InputError(POLICY_CHANGED.format(path=path))
            content = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InputError(POLICY_UNREADABLE.format(path=path, reason=reason)) from None
        if hashlib.sha256(content).hexdigest() != item.get("sha256"):
            raise InputError(POLICY_CHANGED.format(path=path))
        texts[str(path)] = content.decode("utf-8", errors="replace")
    return texts


def _post(target: str, body: dict[str, Any]) -> Submission:
    answer = api_request(target, "/v1/runs", body)
    run_id = answer.get("id")
    if not isinstance(run_id, int) or isinstance(run_id, bool):
        raise InputError(BAD_ANSWER.format(url=shown_http(target)))
    url = answer.get("url")
    return Submission(run_id, str(url) if url else app_url(run_id))


def submit_report(
    report: Report,
    target: str | bool | None = None,
    *,
    policy_text: dict[str, str] | None = None,
    provenance: dict[str, str] | None = None,
    identity: Identity | None = None,
    label: str = "",
) -> Submission:
    """Record ``report`` as a run for review; returns its id and app URL.

    Parameters
    ----------
    target : str, True or None
        A store URL or path, or ``https://host`` of the API; None or True: ``$RAI_SUBMIT``,
        else the default local store.
    policy_text : dict, optional
        Path to text of every policy file; default: read from the report's policy files.
    provenance : dict, optional
        Default: :func:`collect_provenance` of the current folder.
    identity : Identity, optional
        Who submits to a local store; default: the user of ``$RAI_TOKEN`` when it is set,
        else ``local:<OS user>`` with role submitter. Over HTTP the identity is the token's.
    """
    texts = policy_texts(report) if policy_text is None else policy_text
    origin = collect_provenance() if provenance is None else provenance
    where = resolve_target(target)
    if is_http(where):
        body = {
            "report": json.loads(report.to_json(indent=None)),
            "policy_text": texts,
            "provenance": origin,
        }
        return _post(where, body)
    from responsible_ai.store.identity import local_identity
    from responsible_ai.store.people import authenticate_token
    from responsible_ai.store.store import ReviewStore

    store = ReviewStore(store_url(where))
    try:
        if identity is None:
            token = os.environ.get(TOKEN_ENV, "").strip()
            # A token names the submitter in a local store too (a CI job's own user).
            identity = authenticate_token(store, token) if token else local_identity("submitter")
        run_id = store.save_run(
            report,
            label=label,
            submitter=identity,
            policy_text=texts,
            provenance=origin,
        )
    finally:
        store.close()
    return Submission(run_id, app_url(run_id))
