"""Sign-in in the app: nobody reaches a run (or a review) without signing in once the store has
users; the sidebar names who is signed in and signs them out; a submitter's review is refused by
the store; with ``[auth]`` in the secrets, Streamlit's OIDC login replaces the password form."""

from __future__ import annotations

import re

import pytest
from app_testing import APP, add_team, open_page, sidebar_texts, sign_in, submit_ci_run, texts
from streamlit.testing.v1 import AppTest

from responsible_ai.errors import InputError
from responsible_ai.store import ReviewStore
from responsible_ai.store.identity import BAD_CREDENTIALS, OIDC_NO_USER, oidc_identity
from responsible_ai.store.people import disable_user
from responsible_ai.store.store import SUBMITTER_CANNOT_REVIEW

AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "placeholder-not-a-secret",
    "client_id": "placeholder",
    "client_secret": "placeholder",
    "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
}


@pytest.fixture
def team_run(app_env, ci_report) -> int:
    add_team(("root", "admin"), ("alice", "reviewer"), ("ci", "submitter"))
    return submit_ci_run(ci_report)


def _app(query_run: int | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=180)
    if query_run is not None:
        at.query_params["run"] = str(query_run)
    at.run()
    assert not at.exception, at.exception
    return at


def _decide(at: AppTest, decision: str, comment: str) -> AppTest:
    at.radio(key="decision").set_value(decision)
    at.text_area(key="comment").input(comment)
    at.button(key="record_decision").click().run()
    assert not at.exception
    return at


def test_nothing_shows_before_sign_in_once_users_exist(team_run):
    at = _app(team_run)
    assert [t.value for t in at.title] == ["Sign in"]
    assert "CI build 42" not in texts(at) + sidebar_texts(at)  # not even the run's name
    assert not [b for b in at.button if b.key in ("record_decision", "record_waiver")]
    at = sign_in(at, "alice", "wrong password!")
    assert at.error[0].value == BAD_CREDENTIALS
    assert "CI build 42" not in texts(at)


def test_a_reviewer_signs_in_reviews_as_themself_and_signs_out(team_run):
    at = sign_in(_app(team_run), "alice")
    side = sidebar_texts(at)
    assert "Signed in as alice (reviewer)" in side and "Run 1: CI build 42" in side
    at = open_page(at, "views/review.py")
    _decide(at, "reject", "Age gap too large to ship")
    assert "Recorded review #1: reject by alice" in texts(at)
    (review,) = ReviewStore().reviews(team_run)
    assert review.reviewer == "alice"
    at.button(key="sign_out").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert "alice" not in sidebar_texts(at)


def test_a_submitter_signs_in_but_the_store_refuses_their_review(team_run):
    at = open_page(sign_in(_app(team_run), "ci"), "views/review.py")
    assert "Signed in as ci (submitter)" in sidebar_texts(at)
    _decide(at, "approve", "my own run looks fine")
    assert [e.value for e in at.error] == [SUBMITTER_CANNOT_REVIEW.format(user="ci")]
    assert ReviewStore().reviews() == []


def test_oidc_replaces_the_password_form(team_run):
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False}
    at.query_params["run"] = str(team_run)
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with your identity provider"]
    assert not [t for t in at.text_input if t.key == "sign_in_password"]

    add_team(("alice@example.org", "reviewer"))
    at.user = {"is_logged_in": True, "email": "Alice@Example.org", "email_verified": True}
    at.run()
    assert not at.exception
    assert "Signed in as alice@example.org (reviewer)" in sidebar_texts(at)
    at = open_page(at, "views/review.py")
    _decide(at, "reject", "Age gap too large to ship")
    (review,) = ReviewStore().reviews(team_run)
    assert review.reviewer == "alice@example.org"
    at.button(key="sign_out").click().run()  # st.logout(): the provider's session ends too
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with your identity provider"]


def test_oidc_user_unknown_to_the_store_is_refused_in_one_line(team_run):
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "mallory@example.org"}
    at.query_params["run"] = str(team_run)
    at.run()
    assert not at.exception
    message = OIDC_NO_USER.format(email="mallory@example.org")
    assert [re.sub(r"\\(.)", r"\1", str(e.value)) for e in at.error] == [message]
    assert "CI build 42" not in texts(at) + sidebar_texts(at)
    assert [b.label for b in at.button] == ["Sign out"]


def test_oidc_mapping_takes_the_role_from_the_store(team_run):
    with ReviewStore() as store:
        assert oidc_identity(store, {"email": "alice"}).role == "reviewer"
        assert oidc_identity(store, {"email": "root", "role": "submitter"}).role == "admin"
        disable_user(store, "alice")
        with pytest.raises(InputError, match=re.escape(OIDC_NO_USER.format(email="alice"))):
            oidc_identity(store, {"email": "alice"})
