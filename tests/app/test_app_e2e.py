"""End to end in real headless Chromium: start the app, review the sample audit, restart, History.

Screenshots go to ``$RAI_E2E_SCREENSHOTS`` (default: the test's temporary directory).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from responsible_ai.report.html import render_html
from responsible_ai.store import local_identity

CHROMIUM = Path("/usr/bin/chromium")
# A store without users: the app signs as the OS user (unauthenticated local mode).
LOCAL = local_identity().username
ROOT = Path(__file__).resolve().parents[2]
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCRIPT = "<script>alert(1)</script>"
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "responsible_ai.cli",
            "app",
            "--headless",
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
        ],
        env=env,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the app exited with {server.returncode}: {log.read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise AssertionError(f"the app did not start within 90 s: {log.read_text()}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(5)


def _tab(page, name: str):
    """The tab once the page has settled: during a rerun Streamlit shows the old and new tabs."""
    from playwright.sync_api import expect

    tab = page.get_by_role("tab", name=name)
    expect(tab).to_have_count(1, timeout=30_000)
    return tab


def _waive(page, check: str) -> None:
    _tab(page, "Waive a check").click()
    # The check is chosen above the form: choosing it says whether a waiver is already active.
    page.get_by_test_id("stSelectbox").filter(has_text="Check").click()
    page.get_by_role("option", name=check, exact=True).click()
    form = page.get_by_test_id("stForm").filter(has_text="Record waiver")
    form.get_by_label("Comment").fill("Gap confirmed on the holdout")
    form.get_by_label("Justification").fill("Retraining with reweighing ships next quarter")
    form.get_by_role("button", name="Record waiver").click()
    page.get_by_text(f"{check} waived until").wait_for(timeout=30_000)


def test_review_the_sample_in_chromium(chromium, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("RAI_E2E_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["RAI_HOME"] = str(tmp_path / "home")
    env["RAI_STORE_URL"] = f"sqlite:///{tmp_path / 'store.sqlite'}"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    server = _start(port, env, log)
    dialogs: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium), args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(url)
            page.get_by_text("Checks that need attention").wait_for(timeout=120_000)
            page.get_by_text("Not approvable yet: 1 fails, 1 lacks evidence.").wait_for()
            page.screenshot(path=shots / "e2e_overview.png")

            page.get_by_role("link", name="Review", exact=True).click()
            for check in ("equal-opportunity-age", "four-fifths-rule[age_group]"):
                _waive(page, check)
            _tab(page, "Approve or reject the run").click()
            form = page.get_by_test_id("stForm").filter(has_text="Record decision")
            form.get_by_label("Comment").fill("Both age gaps waived until the retrained model")
            form.get_by_role("button", name="Record decision").click()
            page.get_by_text(f"Recorded review #3: approve by {LOCAL}").wait_for(timeout=30_000)
            page.screenshot(path=shots / "e2e_review.png")

            page.get_by_role("link", name="History", exact=True).click()
            page.get_by_text(f"review approved by {LOCAL}").wait_for(timeout=30_000)
            page.wait_for_timeout(1500)  # let the data grids paint before the screenshot
            page.screenshot(path=shots / "e2e_history.png")
            browser.close()

        _stop(server)
        server = _start(port, env, log)  # the decision survives a restart of the server
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium), args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(f"{url}/history")
            page.get_by_text(f"review approved by {LOCAL}").wait_for(timeout=120_000)
            page.get_by_text("Review chain intact (3 reviews)").wait_for()
            page.wait_for_timeout(1500)
            page.screenshot(path=shots / "e2e_history_after_restart.png")
            browser.close()
    finally:
        _stop(server)
    assert dialogs == []


def test_html_report_script_column_is_text_in_chromium(chromium, tmp_path):
    import pandas as pd
    from playwright.sync_api import sync_playwright

    from responsible_ai.auditing import audit

    frame = pd.DataFrame(
        {
            SCRIPT: ["<img src=x onerror=alert(2)>", "b"] * 50,
            "decision": ["yes", "no", "yes", "yes"] * 25,
        }
    )
    report = audit(
        frame,
        "policies/eeoc-four-fifths.yaml",
        prediction="decision",
        sensitive=[SCRIPT],
        positive_label="yes",
    )
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=BROWSER_ARGS)
        page = browser.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        body = page.inner_text("body")
        assert f"four-fifths-rule[{SCRIPT}]" in body
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0
        browser.close()
    assert dialogs == []
    assert requests == [path.as_uri()]  # nothing fetched from anywhere else
