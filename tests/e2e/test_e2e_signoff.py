"""Done means of issue 12, as a new team would try it: on PostgreSQL, a real ``rai serve`` and a
real ``rai app`` over one store; CI submits a failing run over the API with a submitter token;
reviewer A signs into the app in headless Chromium, opens ``?run=N`` and waives the failing
checks with a justification and an expiry; reviewer B approves; ``rai gate`` turns from 1 to 0;
the submitter cannot approve (in the app, nor with its token over the API); once the waivers
have expired, ``rai gate`` returns 1 again.

The clock: waivers expire by ``review.today_utc()``. Nothing moves it; the gate is asked about
the day after the expiry with ``rai gate --as-of DATE``, an option that only accepts today or
later (so it can close a gate, never reopen one). Screenshots go to ``$RAI_E2E_SCREENSHOTS``
(default: the test's temporary directory). Select with ``-m e2e``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from responsible_ai.cli import main
from responsible_ai.datasets import load_german_credit
from responsible_ai.review import today_utc
from responsible_ai.store.store import SUBMITTER_CANNOT_REVIEW

ROOT = Path(__file__).resolve().parents[2]
LENDING = ROOT / "tests" / "store" / "lending-fairness.yaml"
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PEOPLE = {"root": "admin", "alice": "reviewer", "bob": "reviewer", "ci": "submitter"}
PASSWORDS = {name: f"{name}-{secrets.token_urlsafe(12)}" for name in PEOPLE}
CLEAN = ["RAI_TOKEN", "RAI_SUBMIT", "RAI_APP_URL", "RAI_STORE_KEY_FILE", "CI", "GITHUB_ACTIONS"]
pytestmark = pytest.mark.e2e


def _rai(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path, what: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{what} did not answer {url} within 90 s: {log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextlib.contextmanager
def _servers(store_url: str, folder: Path) -> Iterator[tuple[str, str]]:
    """``rai serve`` and ``rai app`` on free 127.0.0.1 ports over one store; always stopped."""
    api_port, app_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HOME": str(folder / "home"),  # no ~/.streamlit/secrets.toml of the machine's user
        "RAI_APP_URL": f"http://127.0.0.1:{app_port}",
    }
    python = [sys.executable, "-m", "responsible_ai.cli"]
    commands = {
        "rai serve": [*python, "serve", "--port", str(api_port), "--store", store_url],
        "rai app": [
            *python,
            *("app", "--headless", "--port", str(app_port), "--address", "127.0.0.1"),
            *("--store-url", store_url),
        ],
    }
    logs = {what: folder / f"{what.replace(' ', '-')}.log" for what in commands}
    started: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for what, command in commands.items():  # both start at once: they share the wait
            started[what] = subprocess.Popen(
                command,
                env=env,
                cwd=folder,  # nor a .streamlit/ of the checkout
                stdout=logs[what].open("ab"),
                stderr=subprocess.STDOUT,
            )
        api, app = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{app_port}"
        _wait_until_up(started["rai serve"], f"{api}/healthz", logs["rai serve"], "rai serve")
        _wait_until_up(started["rai app"], f"{app}/_stcore/health", logs["rai app"], "rai app")
        yield api, app
    finally:
        for process in started.values():
            _stop(process)


def _call(base: str, path: str, token: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def team_store(postgres, tmp_path, monkeypatch) -> Iterator[str]:
    """A new keyed store on the test PostgreSQL server, with the team's users (``rai users
    add``, as an admin would); this process's environment points at it."""
    url = postgres.new_database()
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "rai-home"))
    monkeypatch.setenv("RAI_STORE_URL", url)
    monkeypatch.setenv("RAI_STORE_KEY", secrets.token_hex(32))
    for name in CLEAN:
        monkeypatch.delenv(name, raising=False)
    try:
        for name, role in PEOPLE.items():  # the first is the admin (bootstrap)
            monkeypatch.setenv("RAI_NEW_PASSWORD", PASSWORDS[name])
            code, _out, err = _rai("users", "add", name, "--role", role)
            assert code == 0, err
        monkeypatch.delenv("RAI_NEW_PASSWORD")
        yield url
    finally:
        postgres.drop_database(url)


def _failing_csv(folder: Path) -> Path:
    """German credit with decisions that refuse everyone under 25: the lending policy fails."""
    german = load_german_credit().data
    approved = german["credit"].where(german["age_group"] != "under 25", "bad")
    path = folder / "german-decisions.csv"
    german.assign(approved=approved).to_csv(path, index=False)
    return path


def _sign_in(browser: Any, app: str, name: str, run: int) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1500})
    page.goto(f"{app}/?run={run}")
    page.get_by_label("User name", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {name} ({PEOPLE[name]})").wait_for(timeout=60_000)
    page.get_by_text(f"Run {run} · german-decisions.csv").wait_for()  # the overview of run N
    return page


@contextlib.contextmanager
def _shots_on_failure(shots: Path) -> Iterator[list[Any]]:
    """On a failure, a screenshot of every open page (what the reviewer would have seen)."""
    browsers: list[Any] = []
    try:
        yield browsers
    except Exception:
        for browser in browsers:
            for number, context in enumerate(browser.contexts):
                for page in context.pages:
                    with contextlib.suppress(Exception):
                        page.screenshot(path=shots / f"failure_{number}.png")
        raise


def _tab(page: Any, name: str) -> Any:
    """The tab once the page has settled: during a rerun Streamlit shows the old and new tabs."""
    from playwright.sync_api import expect

    tab = page.get_by_role("tab", name=name)
    expect(tab).to_have_count(1, timeout=30_000)
    return tab


def _review_page(page: Any) -> None:
    page.get_by_role("link", name="Review", exact=True).click()
    page.get_by_text("Approve or reject the run").first.wait_for(timeout=30_000)


def _waive(page: Any, check: str, expires: date) -> None:
    _tab(page, "Waive a check").click()
    # The check is chosen above the form: choosing it says whether a waiver is already active.
    page.get_by_test_id("stSelectbox").filter(has_text="Check").click()
    page.get_by_role("option", name=check, exact=True).click()
    form = page.get_by_test_id("stForm").filter(has_text="Record waiver")
    form.get_by_label("Comment").fill("Gap confirmed on the holdout")
    form.get_by_label("Justification").fill("Retraining with reweighing ships tomorrow")
    # The date field is segmented (year / month / day): type the digits into its first segment.
    form.get_by_test_id("stDateInput").get_by_role("spinbutton").first.click()
    page.keyboard.type(expires.strftime("%Y%m%d"))
    page.keyboard.press("Escape")  # close the calendar, which would cover the button
    form.get_by_role("button", name="Record waiver").click()
    page.get_by_text(f"{check} waived until {expires.isoformat()}").wait_for(timeout=30_000)


def _decide(page: Any, decision: str, comment: str) -> None:
    _tab(page, "Approve or reject the run").click()
    form = page.get_by_test_id("stForm").filter(has_text="Record decision")
    form.get_by_text(decision, exact=True).click()
    form.get_by_label("Comment").fill(comment)
    form.get_by_role("button", name="Record decision").click()


def test_ci_run_is_signed_off_in_the_app_and_the_gate_follows(
    chromium, team_store, tmp_path, monkeypatch
):
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("RAI_E2E_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    code, token, err = _rai("tokens", "add", "--user", "ci")
    assert code == 0, err
    token = token.strip()
    data = _failing_csv(tmp_path)
    tomorrow = today_utc() + timedelta(days=1)
    dialogs: list[str] = []
    with _servers(team_store, tmp_path) as (api, app):
        monkeypatch.setenv("RAI_TOKEN", token)  # the CI job's secret; nothing else
        monkeypatch.setenv("RAI_APP_URL", app)
        code, _out, err = _rai(
            "check", str(data), "--policy", str(LENDING), "--prediction", "approved",
            "--submit", api,
        )  # fmt: skip
        assert code == 1, err  # the verdict's exit code: the run fails the policy
        assert f"submitted run 1: {app}/?run=1" in err
        assert _rai("gate", "1", "--store", api)[0] == 1  # pending

        with sync_playwright() as playwright, _shots_on_failure(shots) as pages:
            browser = playwright.chromium.launch(executable_path=str(chromium), args=BROWSER_ARGS)
            pages.append(browser)
            alice = _sign_in(browser, app, "alice", 1)
            alice.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            banner = alice.get_by_text("Not approvable yet:").inner_text()
            # "Not approvable yet: 2 fail, 1 lacks evidence. a fails; b fails; c lacks evidence."
            named = banner.split(". ", 1)[1].split(". ", 1)[0]
            checks = sorted(
                part.strip().rsplit(" ", 1)[0].removesuffix(" lacks").removesuffix(" could not be")
                for part in named.split(";")
            )
            assert checks == [
                "equal-opportunity-age",
                "four-fifths-rule[age_group]",
                "four-fifths-rule[sex]",
            ]
            alice.get_by_text("Submitted by: ci (submitter)").wait_for()
            alice.screenshot(path=shots / "signoff_1_alice_opens_run.png")
            _review_page(alice)
            for check in checks:
                _waive(alice, check, tomorrow)
            alice.get_by_text("Checks blocking approval").wait_for()
            alice.wait_for_timeout(1500)  # the rerun's stale elements fade out first
            alice.screenshot(path=shots / "signoff_2_alice_waived.png")
            assert _rai("gate", "1", "--store", api)[0] == 1  # waived, not yet approved

            ci = _sign_in(browser, app, "ci", 1)
            _review_page(ci)
            _decide(ci, "approve", "my own run looks fine to me")
            ci.get_by_text(SUBMITTER_CANNOT_REVIEW.format(user="ci")).wait_for(timeout=30_000)
            ci.wait_for_timeout(1500)  # the rerun's stale elements fade out first
            ci.screenshot(path=shots / "signoff_3_submitter_refused.png")
            refused = {"decision": "approve", "comment": "my own run, over the API"}
            assert _call(api, "/v1/runs/1/reviews", token, refused) == 403

            bob = _sign_in(browser, app, "bob", 1)
            _review_page(bob)
            _decide(bob, "approve", "Waivers in place until the retrained model")
            bob.get_by_text("Recorded review #4: approve by bob").wait_for(timeout=30_000)
            bob.wait_for_timeout(1500)  # the rerun's stale elements fade out first
            bob.screenshot(path=shots / "signoff_4_bob_approved.png")
            browser.close()

        code, out, _err = _rai("gate", "1", "--store", api)
        assert (code, out.split(";")[0]) == (0, "run 1 approved by bob")
    assert dialogs == []

    # Who signed what: the authenticated identities, in the chain.
    from responsible_ai.store import ReviewStore

    with ReviewStore(team_store) as store:
        signed = [(r.decision, r.reviewer, r.expires_on) for r in store.reviews(1)]
        assert store.verify().ok
    assert signed == [*[("waive", "alice", tomorrow)] * 3, ("approve", "bob", None)]

    # The waivers expire after tomorrow: asked about the day after, the gate closes again.
    assert _rai("gate", "1", "--as-of", tomorrow.isoformat())[0] == 0  # expiry day included
    code, _out, err = _rai("gate", "1", "--as-of", (tomorrow + timedelta(days=1)).isoformat())
    assert code == 1
    assert err.startswith("run 1: approval lapsed, the waiver of ")
    assert all(check in err for check in checks)
