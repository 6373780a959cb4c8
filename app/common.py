"""What every page shares: the store, the current audit run, and how errors and statuses show.

Thin on purpose: the logic lives in ``responsible_ai``; this module only holds session state and
turns library errors into one ``st.error`` (never a traceback).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from responsible_ai.audit_run import AuditRun, recorded_policy_text, sample_run
from responsible_ai.errors import RAIError
from responsible_ai.report.escaping import escape_markdown
from responsible_ai.store import Identity, ReviewStore, default_store_url

__all__ = [
    "STATUS_ICONS",
    "attempt",
    "code",
    "current_run",
    "identity",
    "md",
    "run_id",
    "set_current_run",
    "store",
]

T = TypeVar("T")

STATUS_ICONS = {
    "pass": ":green[**PASS**]",
    "fail": ":red[**FAIL**]",
    "error": ":red[**ERROR**]",
    "warn": ":orange[**WARN**]",
    "insufficient_evidence": ":orange[**INSUFFICIENT EVIDENCE**]",
    "skipped": ":gray[**SKIPPED**]",
    "waived": ":violet[**WAIVED**]",
}


def md(text: object) -> str:
    """User-provided text made safe to place inside Markdown."""
    return escape_markdown(str(text))


def code(text: object) -> str:
    """User-provided text as a Markdown code span (where Markdown is not interpreted)."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


@st.cache_resource(show_spinner=False)
def _store(url: str) -> ReviewStore:
    return ReviewStore(url)


def store() -> ReviewStore:
    """The review store of this server (``RAI_STORE_URL`` or ``$RAI_HOME/store.sqlite``)."""
    return _store(default_store_url())


@st.cache_resource(show_spinner="Auditing the German credit sample with the lending policy…")
def _sample() -> AuditRun:
    return sample_run()


def attempt(action: Callable[[], T]) -> T | None:
    """Run a library call; show a failure as one ``st.error`` naming the problem and the fix."""
    try:
        return action()
    except RAIError as error:
        st.error(str(error), icon="⚠️")
    except Exception as error:  # a bug: say so plainly, never show a traceback to a reviewer
        st.error(
            f"Internal error ({type(error).__name__}: {error}). This is a bug in responsible-ai; "
            f"please report it with the steps that led here.",
            icon="🐞",
        )
    return None


def set_current_run(run: AuditRun) -> int:
    """Make ``run`` the session's current run, storing it; returns its run id."""
    texts = recorded_policy_text(run)  # the text that ran, edited or not (packs stay untouched)
    run_number = store().save_run(run.report, label=run.label, reuse=True, policy_text=texts)
    st.session_state["run"] = run
    st.session_state["run_id"] = run_number
    return run_number


def current_run() -> AuditRun:
    """The session's run; the audited German credit sample until the user audits something else."""
    run: Any = st.session_state.get("run")
    if run is None:
        sample = attempt(_sample)
        if sample is None:
            st.stop()
        assert sample is not None
        attempt(lambda: set_current_run(sample))
        run = sample
    return run


def run_id() -> int:
    """The store id of the session's current run."""
    current_run()
    return int(st.session_state["run_id"])


def identity() -> Identity:
    """Who signs reviews in this session.

    While the store has no users: ``local:<OS user>`` as admin, shown as *unauthenticated local
    mode* (the store refuses that mode once a user exists). Otherwise a minimal sign-in with a
    store user's password; the full login (roles, OIDC) lives elsewhere.
    """
    from responsible_ai.store.identity import local_identity
    from responsible_ai.store.people import authenticate_password, has_users

    signed: Any = st.session_state.get("identity")
    if signed is not None:
        return signed
    if not has_users(store()):
        local = local_identity()
        st.caption(f"Signing as {code(local.username)}: unauthenticated local mode (no users).")
        return local
    with st.form("sign_in"):
        name = st.text_input("User name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        if st.form_submit_button("Sign in", key="sign_in"):
            found = attempt(lambda: authenticate_password(store(), name, password))
            if found is not None:
                st.session_state["identity"] = found
                st.rerun()
    st.stop()
    raise AssertionError("unreachable")
