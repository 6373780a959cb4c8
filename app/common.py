"""What every page shares: the store, the current run, who is signed in, and how errors show.

Thin on purpose: the logic lives in ``responsible_ai``; this module only holds session state and
turns library errors into one ``st.error`` (never a traceback).

The current run is an :class:`AuditRun` (the sample, an upload, a re-run: data and model at
hand) or a :class:`StoredRun` (opened from the store with ``?run=N`` or History's "Open": its
report only). Sign-in: Streamlit's OIDC login when ``.streamlit/secrets.toml`` has an ``[auth]``
section, else a store user's password once the store has users, else unauthenticated local mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import streamlit as st

from responsible_ai.audit_run import (
    DATA_NOT_STORED,
    AuditRun,
    StoredRun,
    findings_of_family,
    open_stored_run,
    parse_run_id,
    recorded_policy_text,
    sample_run,
)
from responsible_ai.errors import RAIError
from responsible_ai.report.escaping import escape_markdown
from responsible_ai.sample_start import (
    SAMPLE_LABEL,
    early_stored_sample,
    helper_report,
    loaded_sample,
    same_audit,
    sample_policy_texts,
    server_audit_finished,
)
from responsible_ai.store import Identity, ReviewStore, default_store_url

__all__ = [
    "STATUS_ICONS",
    "announce",
    "attempt",
    "code",
    "current_run",
    "identity",
    "md",
    "open_run",
    "run_id",
    "sample_differs",
    "sample_from_store",
    "sample_loaded",
    "sample_loading",
    "set_current_run",
    "show_announcement",
    "sign_in",
    "sign_out",
    "store",
    "stored_run_notice",
]

T = TypeVar("T")
SAMPLE_LOADING = "sample_loading"  # session key: since when the sample shown is its report only
SAMPLE_FROM_STORE = "sample_from_store"  # session key: that report is the store's (a restart)
SAMPLE_DIFFERS = "sample_differs"  # session key: the stored report the new audit did not repeat
LOADING_PATIENCE_SECONDS = 60.0

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


SAMPLE_SPINNER = "Auditing the German credit sample with the lending policy…"


@st.cache_resource(show_spinner=SAMPLE_SPINNER)
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


def announce(message: str) -> None:
    """Say ``message`` on the next run of the script, and rerun now.

    The sidebar is drawn before the page: a page that switched the current run would otherwise
    leave it naming the previous run until the next click.
    """
    st.session_state["announcement"] = message
    st.rerun()


def show_announcement() -> None:
    """The message of the action that led to this run of the script, once."""
    message = st.session_state.pop("announcement", None)
    if message:
        st.success(message)


def set_current_run(run: AuditRun) -> int:
    """Make ``run`` the session's current run, storing it; returns its run id."""
    texts = recorded_policy_text(run)  # the text that ran, edited or not (packs stay untouched)
    run_number = store().save_run(run.report, label=run.label, reuse=True, policy_text=texts)
    _show(run, run_number)
    return run_number


def _show(run: AuditRun | StoredRun, run_number: int) -> None:
    st.session_state.pop(SAMPLE_LOADING, None)  # whatever is shown now, it is shown whole
    st.session_state.pop(SAMPLE_FROM_STORE, None)
    st.session_state["run"] = run
    st.session_state["run_id"] = run_number
    # The address names the run shown, so that it can be shared, and a stale ?run= never
    # switches the session back to another run.
    st.query_params["run"] = str(run_number)


def open_run(run_number: int) -> StoredRun | None:
    """Make stored run ``run_number`` the session's current run (read only, chain verified)."""
    opened = attempt(lambda: open_stored_run(store(), run_number))
    if opened is not None:
        _show(opened, run_number)
    return opened


def _run_from_address() -> None:
    """Open the run the address names (``?run=N``) unless the session already shows it."""
    given = st.query_params.get("run")
    if given is None or given == str(st.session_state.get("run_id")):
        return
    number = attempt(lambda: parse_run_id(given))
    if number is None or open_run(number) is None:
        del st.query_params["run"]  # said once; the session keeps the run it had


def _early_sample() -> StoredRun | None:
    """The sample's report, made the session's run while this process still audits the sample
    (see :mod:`responsible_ai.sample_start`): on a restart of ``rai app``, its run in the store
    when its inputs are unchanged; else the report of the helper ``rai app`` started."""
    with st.spinner(SAMPLE_SPINNER):
        stored = early_stored_sample()
        report = None if stored is not None else helper_report()
    if stored is not None:
        _show(stored, stored.run_id)
        st.session_state[SAMPLE_LOADING] = time.monotonic()
        st.session_state[SAMPLE_FROM_STORE] = stored.run_id
        return stored
    if report is None:
        return None
    texts = sample_policy_texts(report)
    number = store().save_run(report, label=SAMPLE_LABEL, reuse=True, policy_text=texts)
    early = StoredRun(report=report, run_id=number, label=SAMPLE_LABEL, policy_texts=texts)
    _show(early, number)
    st.session_state[SAMPLE_LOADING] = time.monotonic()
    return early


def sample_from_store() -> int | None:
    """The store's run id when the sample shown (its report only, loading) came from the store."""
    return st.session_state.get(SAMPLE_FROM_STORE) if sample_loading() else None


def sample_differs() -> int | None:
    """The stored run of the sample that the new audit did not repeat (shown once), or None."""
    return st.session_state.pop(SAMPLE_DIFFERS, None)


def sample_loading() -> bool:
    """Whether the session shows the sample's report while its data and model still load."""
    return SAMPLE_LOADING in st.session_state


def sample_loaded() -> bool:
    """Whether the session can switch to the loaded sample: the server's audit has ended, or
    has taken so long that the session audits it itself (waiting for the server's, if it runs)."""
    since = float(st.session_state.get(SAMPLE_LOADING) or 0.0)
    return server_audit_finished() or time.monotonic() - since > LOADING_PATIENCE_SECONDS


def _audited_sample() -> AuditRun:
    sample = attempt(_sample)
    if sample is None:
        st.stop()
    assert sample is not None
    shown: Any = st.session_state.get("run")
    stored = sample_from_store()
    if sample_loading() and shown is not None and same_audit(shown.report, sample.report):
        # The store keeps the report shown first (the helper's): the page keeps its time.
        when = {"created_at": shown.report.created_at}
        when["duration_seconds"] = shown.report.duration_seconds
        sample = replace(sample, report=replace(sample.report, **when))
    elif stored is not None:
        st.session_state[SAMPLE_DIFFERS] = stored  # said on the Overview
    attempt(lambda: set_current_run(sample))
    return sample


def current_run(*, with_data: bool = False) -> AuditRun | StoredRun:
    """The session's run: the one the address names, else the audited German credit sample
    until the user audits or opens something else.

    While ``rai app`` starts, the sample may be its report only (:func:`sample_loading`):
    ``with_data`` waits for its data and model (pages that need them), otherwise the session
    switches to them as soon as they are there.
    """
    _run_from_address()
    run: Any = st.session_state.get("run")
    if run is None:
        run = None if loaded_sample() is not None else attempt(_early_sample)
        if run is None:
            run = _audited_sample()
    elif sample_loading() and (with_data or sample_loaded()):
        run = _audited_sample()
        if with_data:
            st.rerun()  # the sidebar, drawn before the page, named the report-only run
    return run


def run_id() -> int:
    """The store id of the session's current run."""
    current_run()
    return int(st.session_state["run_id"])


def stored_run_notice(what: str, family: str) -> None:
    """On a page that needs data or a model: for a stored run, say they are not in the store,
    show what the report records of ``family`` (``explain``, ``privacy``), and stop the page."""
    from responsible_ai.report.tables import checks_frame

    run = current_run(with_data=True)
    if not run.stored:
        return
    st.info(DATA_NOT_STORED.format(run=run_id(), what=what))
    recorded = findings_of_family(run.report, family)
    if recorded:
        st.subheader("What the report records")
        st.dataframe(checks_frame(recorded), hide_index=True, width="stretch")
    else:
        st.caption(f"The report has no {md(family)} checks.")
    st.stop()


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answering False
        return False


def _oidc_sign_in() -> Identity:
    from responsible_ai.store.identity import oidc_identity

    if not st.user.is_logged_in:
        st.title("Sign in")
        st.write("This review app signs you in with your organisation's identity provider.")
        if st.button("Sign in with your identity provider", type="primary", key="oidc_login"):
            st.login()
        st.stop()
    try:
        return oidc_identity(store(), st.user.to_dict())
    except RAIError as error:  # the address is the provider's: shown escaped
        st.error(md(error), icon="⚠️")
        if st.button("Sign out", key="oidc_logout"):
            st.logout()
            st.rerun()
        st.stop()
    raise AssertionError("unreachable")


def _password_sign_in() -> Identity:
    from responsible_ai.store.people import authenticate_password

    st.title("Sign in")
    st.caption(f"Review store {md(store().display_url)}: sign in with your user name.")
    with st.form("sign_in"):
        name = st.text_input("User name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        if st.form_submit_button("Sign in", key="sign_in"):
            found = attempt(lambda: authenticate_password(store(), name, password))
            if found is not None:
                st.session_state.clear()  # nothing of an earlier session carries over
                st.session_state["identity"] = found
                st.rerun()
    st.stop()
    raise AssertionError("unreachable")


def sign_in() -> Identity:
    """Who acts in this session; shows the sign-in and stops the page until someone has.

    OIDC (``[auth]`` in ``.streamlit/secrets.toml``): ``st.login()``, then the store user named
    by the provider's e-mail address. Otherwise, once the store has users, a store user's
    password (argon2). While the store has no users: ``local:<OS user>`` as admin, shown as
    *unauthenticated local mode* (the store refuses that mode once a user exists).
    """
    from responsible_ai.store.identity import local_identity
    from responsible_ai.store.people import has_users

    if _oidc_configured():
        return _oidc_sign_in()
    signed: Any = st.session_state.get("identity")
    if signed is not None:
        return signed
    if has_users(store()):
        return _password_sign_in()
    return local_identity()


def identity() -> Identity:
    """Who signs reviews in this session (see :func:`sign_in`)."""
    signer = sign_in()
    if signer.is_local:
        st.caption(f"Signing as {code(signer.username)}: unauthenticated local mode (no users).")
    return signer


def sign_out() -> None:
    """End the session's sign-in: nothing of it (identity, run) is left for the next person."""
    st.session_state.clear()
    if _oidc_configured():
        st.logout()  # clears st.user and redirects, but does not end this run: rerun instead
    st.rerun()
