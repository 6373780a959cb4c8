"""The webhook: a JSON POST with a Slack-compatible body, retried, timed out, its URL masked."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from responsible_ai.checker.findings import Finding
from responsible_ai.monitor.settings import WebhookSettings
from responsible_ai.monitor.webhook import (
    NO_URL,
    WebhookError,
    alert_payload,
    mask_url,
    post_alerts,
)
from responsible_ai.report.model import Report


class _Server:
    """A local HTTP server on 127.0.0.1 that answers with ``codes`` in turn, then stops."""

    def __init__(self, codes: list[int], delay: float = 0.0) -> None:
        self.codes = list(codes)
        self.bodies: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                outer.bodies.append(json.loads(self.rfile.read(length)))
                if delay:
                    threading.Event().wait(delay)
                self.send_response(outer.codes.pop(0) if outer.codes else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/hooks/T0/SECRET-TOKEN"


def _report() -> Report:
    finding = Finding(
        id="gap",
        metric="m",
        status="fail",
        severity="high",
        message="gap <too> big",
        evidence={"alert_window": "2025-07-07"},
    )
    ok = Finding(id="fine", metric="m", status="pass", severity="high")
    return Report(verdict="fail", checks=[finding, ok], policy={}, inputs={})


def test_a_failed_attempt_is_retried_and_the_body_is_slack_compatible() -> None:
    waits: list[float] = []
    with _Server([500, 200]) as server:
        hook = WebhookSettings(url=server.url, retries=2, timeout=5)
        attempts = post_alerts(hook, alert_payload(_report(), "credit"), sleep=waits.append)
    assert attempts == 2
    assert waits == [1]
    body = server.bodies[-1]
    assert body["text"].startswith("rai monitor credit: 1 alert(s)")
    assert "gap <too> big" in body["text"]
    assert body["alerts"] == [
        {
            "id": "gap",
            "status": "fail",
            "severity": "high",
            "message": "gap <too> big",
            "alert_window": "2025-07-07",
        }
    ]


def test_every_attempt_failing_is_an_error_that_masks_the_url(monkeypatch) -> None:
    waits: list[float] = []
    with _Server([503, 503, 503]) as server:
        monkeypatch.setenv("RAI_TEST_HOOK", server.url)
        hook = WebhookSettings(url_env="RAI_TEST_HOOK", retries=2)
        with pytest.raises(WebhookError) as caught:
            post_alerts(hook, {"text": "x"}, sleep=waits.append)
    assert waits == [1, 2]
    assert "SECRET-TOKEN" not in str(caught.value)
    assert "3 attempt(s): HTTP 503" in str(caught.value)


def test_a_slow_server_times_out() -> None:
    with _Server([200], delay=1.5) as server:
        hook = WebhookSettings(url=server.url, retries=0, timeout=0.3)
        with pytest.raises(WebhookError, match="1 attempt"):
            post_alerts(hook, {"text": "x"}, sleep=lambda s: None)


def test_a_missing_environment_variable_is_named(monkeypatch) -> None:
    monkeypatch.delenv("RAI_NO_SUCH_HOOK", raising=False)
    with pytest.raises(Exception, match="RAI_NO_SUCH_HOOK"):
        post_alerts(WebhookSettings(url_env="RAI_NO_SUCH_HOOK"), {})
    assert "not set" in NO_URL


def test_urls_are_masked_to_their_host() -> None:
    assert mask_url("https://hooks.slack.com/services/T0/B0/xyz") == "https://hooks.slack.com/…"
    assert "xyz" not in mask_url("http://127.0.0.1:8080/xyz?token=xyz")


def test_rai_monitor_posts_its_alerts_to_the_policy_webhook(tmp_path, monkeypatch, capsys) -> None:
    import shutil

    import yaml

    from responsible_ai.cli import main

    from .conftest import LOGS, POLICY, REFERENCE

    folder = tmp_path / "logs"
    folder.mkdir()
    shutil.copy(LOGS / "2025-07.parquet", folder)
    data = yaml.safe_load(POLICY.read_text())
    data["monitoring"]["reference"] = str(REFERENCE)
    data["monitoring"]["webhook"] = {"url_env": "RAI_TEST_HOOK", "retries": 1}
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(data))
    with _Server([200]) as server:
        monkeypatch.setenv("RAI_TEST_HOOK", server.url)
        assert main(["monitor", str(folder), "--policy", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "posted the alerts to http://127.0.0.1:" in out
    assert "SECRET-TOKEN" not in out
    assert server.bodies[0]["text"].startswith("rai monitor german-credit-monitoring:")
    assert {a["id"] for a in server.bodies[0]["alerts"]} >= {"input-drift"}


def _hooked_policy(tmp_path, hook):
    import shutil

    import yaml

    from .conftest import LOGS, POLICY, REFERENCE

    folder = tmp_path / "logs"
    folder.mkdir()
    shutil.copy(LOGS / "2025-07.parquet", folder)
    data = yaml.safe_load(POLICY.read_text())
    data["monitoring"]["reference"] = str(REFERENCE)
    data["monitoring"]["webhook"] = hook
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(data))
    return folder, policy


def test_an_unreachable_webhook_keeps_the_alerts_exit_code(tmp_path, monkeypatch, capsys) -> None:
    from responsible_ai.cli import main

    folder, policy = _hooked_policy(tmp_path, {"url_env": "RAI_TEST_HOOK", "retries": 0})
    with _Server([500]) as server:
        monkeypatch.setenv("RAI_TEST_HOOK", server.url + "?token=SECRET-TOKEN")
        output = tmp_path / "report.json"
        code = main(["monitor", str(folder), "--policy", str(policy), "--output", str(output)])
    assert code == 1  # alerts fired: the failed delivery does not hide them
    shown = capsys.readouterr()
    assert "rai: warning: alerts not delivered: webhook http://127.0.0.1:" in shown.err
    assert "SECRET-TOKEN" not in shown.out + shown.err
    assert output.is_file()


def test_a_missing_webhook_variable_is_said_before_counting(tmp_path, monkeypatch, capsys) -> None:
    from responsible_ai.cli import main

    folder, policy = _hooked_policy(tmp_path, {"url_env": "RAI_TEST_HOOK_UNSET"})
    monkeypatch.delenv("RAI_TEST_HOOK_UNSET", raising=False)
    output = tmp_path / "report.json"
    code = main(["monitor", str(folder), "--policy", str(policy), "--output", str(output)])
    assert code == 2
    assert "RAI_TEST_HOOK_UNSET" in capsys.readouterr().err
    assert not output.exists()
    assert main(["monitor", str(folder), "--policy", str(policy), "--no-webhook"]) == 1
