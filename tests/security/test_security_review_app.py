"""The review app as a surface (issue 12): runs opened from the store, sign-in, OIDC, the gate.

Attacks: a crafted ``?run=`` address; markup in what a submitter controls (label, provenance);
a report edited in the database; a session that outlives its user; an identity provider claim
that tries to choose a role or an address the provider has not verified; ``rai gate --as-of``
set in the past to revive an expired waiver.
"""

from __future__ import annotations

import contextlib
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from responsible_ai.audit_run import BAD_RUN_ID, STORE_BROKEN
from responsible_ai.cli import main
from responsible_ai.errors import InputError
from responsible_ai.review import Review, today_utc
from responsible_ai.store import Identity, ReviewStore
from responsible_ai.store.identity import (
    BAD_CREDENTIALS,
    OIDC_NO_USER,
    OIDC_UNVERIFIED,
    oidc_identity,
)
from responsible_ai.store.people import add_user, disable_user
from responsible_ai.store.service_cli import PAST_AS_OF, REMOTE_AS_OF

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app" / "streamlit_app.py"
LENDING = ROOT / "tests" / "store" / "lending-fairness.yaml"
PASSWORD = "correct horse battery"
HOSTILE = "**bold** [x](javascript:alert(1)) <img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    from argon2 import PasswordHasher

    from responsible_ai.store import identity

    monkeypatch.setattr(
        identity, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture(scope="module")
def failing_report():
    from responsible_ai.auditing import audit
    from responsible_ai.datasets import load_german_credit

    german = load_german_credit().data
    approved = german["credit"].where(german["age_group"] != "under 25", "bad")
    return audit(german.assign(approved=approved), str(LENDING), prediction="approved")


@pytest.fixture
def store_env(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RAI_STORE_URL", url)
    monkeypatch.setenv("RAI_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    for name in ("RAI_STORE_KEY", "RAI_STORE_KEY_FILE", "RAI_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return url


def _submit(report, label: str = "CI build", provenance: dict[str, str] | None = None) -> int:
    with ReviewStore() as store:
        return store.save_run(
            report,
            label=label,
            submitter=Identity("ci", "submitter", "token:0123456789ab"),
            provenance=provenance or {},
        )


def _app(run: str | None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=180)
    if run is not None:
        at.query_params["run"] = run
    at.run()
    assert not at.exception, at.exception
    return at


def _raw(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "info", "title")
    main_area = [str(e.value) for kind in kinds for e in getattr(at, kind)]
    side = [str(e.value) for kind in ("markdown", "caption") for e in getattr(at.sidebar, kind)]
    return "\n".join(main_area + side)


def _rai(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "given", ["0", "-1", "1e3", "../../etc/passwd", "1; DROP TABLE rai_runs", "9" * 40, "<b>1</b>"]
)
def test_a_crafted_run_address_is_one_error_and_opens_nothing(store_env, failing_report, given):
    _submit(failing_report)
    at = _app(given)
    refusals = [e.value for e in at.error if "run id" in e.value]
    assert refusals == [BAD_RUN_ID.format(given=given[:40])]
    assert "Run 2: German credit sample" in _raw(at).replace("**", "")  # its own run, not run 1
    with ReviewStore() as store:
        assert list(store.runs()["run"]) == [2, 1]  # the table survives: nothing ran as SQL


def test_what_a_submitter_wrote_is_text_in_the_app(store_env, failing_report):
    provenance = {"branch": HOSTILE, "ci_job_url": "javascript:alert(document.cookie)"}
    number = _submit(failing_report, label=HOSTILE, provenance=provenance)
    at = _app(str(number))
    raw = _raw(at)
    assert "Run 1" in raw
    for markup in (r"<img", r"\*\*bold", r"\]\(javascript", r"\[x\]"):  # each unescaped
        assert re.search(r"(?<!\\)" + markup, raw) is None, markup
    shown = re.sub(r"\\(.)", r"\1", raw)
    assert HOSTILE in shown and "CI job: javascript:alert(document.cookie)" in shown


def test_a_report_edited_in_the_database_is_not_opened(store_env, failing_report):
    number = _submit(failing_report)
    with ReviewStore() as store, store.engine.begin() as connection:
        forged = failing_report.to_json(indent=None).replace('"fail"', '"pass"')
        connection.execute(
            text("UPDATE rai_runs SET report_json = :forged, verdict = 'pass' WHERE id = :id"),
            {"forged": forged, "id": number},
        )
    at = _app(str(number))
    error = at.error[0]
    assert error.value.startswith(STORE_BROKEN.split("(")[0])
    assert "rai store verify" in error.value
    assert "Run 1" not in _raw(at).replace("**", "")  # the session shows its own sample instead


def test_a_session_does_not_outlive_its_user(store_env, failing_report):
    number = _submit(failing_report)
    with ReviewStore() as store:
        add_user(store, "root", "admin", PASSWORD)
        add_user(store, "alice", "reviewer", PASSWORD)
    at = _app(str(number))
    at.text_input(key="sign_in_name").input("alice")
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.button(key="sign_in").click().run()
    at.switch_page("views/review.py")
    at.run()
    with ReviewStore() as store:
        disable_user(store, "alice")
    at.radio(key="decision").set_value("reject")
    at.text_area(key="comment").input("rejected after being disabled")
    at.button(key="record_decision").click().run()
    assert [e.value for e in at.error] == [BAD_CREDENTIALS]
    assert ReviewStore().reviews() == []


def test_an_identity_provider_chooses_no_role_and_no_unverified_address(store_env):
    with ReviewStore() as store:
        add_user(store, "root@example.org", "admin", PASSWORD)
        add_user(store, "ci@example.org", "submitter", PASSWORD)
        add_user(store, "Twin@example.org", "reviewer", PASSWORD)
        add_user(store, "twin@Example.org", "reviewer", PASSWORD)
        claims = {"email": "ci@example.org", "role": "admin", "groups": ["admin"]}
        assert oidc_identity(store, claims) == Identity("ci@example.org", "submitter", "oidc")
        unverified = {"email": "root@example.org", "email_verified": False}
        with pytest.raises(
            InputError, match=re.escape(OIDC_UNVERIFIED.format(email="root@example.org"))
        ):
            oidc_identity(store, unverified)
        # Two users that differ only by case: the address names neither for sure.
        with pytest.raises(
            InputError, match=re.escape(OIDC_NO_USER.format(email="TWIN@example.org"))
        ):
            oidc_identity(store, {"email": "TWIN@example.org"})


def test_the_gate_never_looks_back_to_revive_an_expired_waiver(store_env, failing_report):
    from responsible_ai.review import run_review_state

    number = _submit(failing_report)
    long_ago = date(2020, 1, 1)
    admin = Identity("local:Ada", "admin", "local")
    with ReviewStore() as store:
        for check in run_review_state(failing_report, []).blocking:
            waiver = Review(
                number, "waive", "", "old", check_id=check, justification="legacy",
                expires_on=long_ago + timedelta(days=30),
            )  # fmt: skip
            store.add_review(waiver, admin, today=long_ago)
        store.add_review(Review(number, "approve", "", "fine then"), admin, today=long_ago)
    assert _rai("gate", str(number))[0] == 1  # the waivers expired in 2020
    code, out, err = _rai("gate", str(number), "--as-of", "2020-01-05")
    expected = PAST_AS_OF.format(given="2020-01-05", today=today_utc())
    assert (code, out, err.strip()) == (2, "", f"rai: error: {expected}")
    code, _out, err = _rai("gate", str(number), "--as-of", "2999-01-01", "--store", "https://x.org")
    assert (code, err.strip()) == (2, f"rai: error: {REMOTE_AS_OF}")
