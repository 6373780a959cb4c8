"""Runs land in the store: rai check --submit, audit(submit=), Report.submit, over HTTP too."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from service_helpers import LENDING, check_args, failing_csv, rai

from responsible_ai.auditing import audit
from responsible_ai.errors import InputError
from responsible_ai.store import ReviewStore
from responsible_ai.store.api_client import NO_TOKEN, PLAIN_HTTP, REDIRECTED
from responsible_ai.store.identity import local_identity
from responsible_ai.store.submit import POLICY_CHANGED

TOKEN = "rai_0123456789ab_s3cr3t-secret-value"


def _policy_files() -> dict[str, str]:
    base = (LENDING.parent / LENDING.read_text().split("extends: ")[1].split()[0]).resolve()
    return {str(LENDING): LENDING.read_text(), str(base): base.read_text()}


def test_check_submit_records_report_policy_text_submitter_and_git(tmp_path, clean_env):
    data_dir = tmp_path / "repo"
    data_dir.mkdir()
    data = failing_csv(data_dir)
    git = ["git", "-C", str(data_dir), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git[:3], "init", "-q", "-b", "release"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "data"], check=True)
    commit = subprocess.run([*git[:3], "rev-parse", "HEAD"], capture_output=True, text=True)
    store_path = tmp_path / "runs.sqlite"
    clean_env.setenv("RAI_APP_URL", "https://review.example.org/")

    result = rai(*check_args(data), "--submit", str(store_path))

    assert result.returncode == 1  # the verdict, not the submission, decides the exit code
    assert result.stderr == "submitted run 1: https://review.example.org/?run=1\n"
    store = ReviewStore(f"sqlite:///{store_path}")
    record = store.run_record(1)
    assert (record["submitted_by"], record["submitted_role"]) == (
        local_identity().username,
        "submitter",
    )
    assert record["provenance"] == {"commit": commit.stdout.strip(), "branch": "release"}
    report = store.report(1)
    assert list(record["policy_text"]) == [item["path"] for item in report.policy["files"]]
    assert sorted(record["policy_text"].values()) == sorted(_policy_files().values())
    assert report.verdict == "fail"
    assert store.verify().ok


def test_ci_variables_name_the_job(tmp_path, clean_env):
    data = failing_csv(tmp_path)
    clean_env.setenv("GITHUB_ACTIONS", "true")
    clean_env.setenv("GITHUB_SERVER_URL", "https://github.com")
    clean_env.setenv("GITHUB_REPOSITORY", "acme/credit")
    clean_env.setenv("GITHUB_RUN_ID", "4242")
    clean_env.setenv("GITHUB_SHA", "a" * 40)
    clean_env.setenv("GITHUB_REF_NAME", "main")
    clean_env.setenv("RAI_SUBMIT", str(tmp_path / "ci.sqlite"))
    assert rai(*check_args(data), "--submit").returncode == 1
    provenance = ReviewStore(f"sqlite:///{tmp_path / 'ci.sqlite'}").run_record(1)["provenance"]
    assert provenance == {
        "ci_provider": "github",
        "ci_job_url": "https://github.com/acme/credit/actions/runs/4242",
        "commit": "a" * 40,
        "branch": "main",
    }


def test_gitlab_and_jenkins_jobs(tmp_path, clean_env):
    from responsible_ai.store.submit import collect_provenance

    clean_env.setenv("GITLAB_CI", "true")
    clean_env.setenv("CI_JOB_URL", "https://gitlab.example/acme/-/jobs/7")
    clean_env.setenv("CI_COMMIT_SHA", "b" * 40)
    clean_env.setenv("CI_COMMIT_REF_NAME", "dev")
    assert collect_provenance(tmp_path) == {
        "ci_provider": "gitlab",
        "ci_job_url": "https://gitlab.example/acme/-/jobs/7",
        "commit": "b" * 40,
        "branch": "dev",
    }
    for name in ("GITLAB_CI", "CI_JOB_URL", "CI_COMMIT_SHA", "CI_COMMIT_REF_NAME"):
        clean_env.delenv(name)
    clean_env.setenv("BUILD_URL", "https://jenkins.example/job/credit/9/")
    assert collect_provenance(tmp_path) == {
        "ci_provider": "jenkins",
        "ci_job_url": "https://jenkins.example/job/credit/9/",
    }


def test_audit_submit_and_report_submit(tmp_path, clean_env):
    data = failing_csv(tmp_path)
    target = f"sqlite:///{tmp_path / 'nb.sqlite'}"
    report = audit(str(data), str(LENDING), prediction="approved", submit=target)
    assert report.submission.id == 1
    assert report.submission.url == "http://127.0.0.1:8501/?run=1"
    again = report.submit(target)
    assert again.id == 2 and report.submission is again
    store = ReviewStore(target)
    assert len(store.run_record(2)["policy_text"]) == 2


def test_policy_edited_after_the_audit_is_not_submitted(tmp_path, clean_env):
    data = failing_csv(tmp_path)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        LENDING.read_text().replace("../../policies/eeoc-four-fifths.yaml", "eeoc-four-fifths.yaml")
    )
    report = audit(str(data), str(policy), prediction="approved")
    policy.write_text(policy.read_text().replace('"<= 0.15"', '"<= 0.99"', 1))
    with pytest.raises(InputError, match=re.escape(POLICY_CHANGED.format(path=policy))):
        report.submit(str(tmp_path / "s.sqlite"))
    assert not (tmp_path / "s.sqlite").exists()


class _Api(BaseHTTPRequestHandler):
    """A stand-in for the API of rai serve: records the request, answers as told."""

    requests: ClassVar[list[dict]] = []
    status = 201
    answer: bytes = b'{"id": 7, "url": "https://review.example.org/?run=7"}'
    location = ""

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers["Authorization"], "body": body}
        )
        self.send_response(self.status)
        if self.location:
            self.send_header("Location", self.location)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args) -> None:
        return


@pytest.fixture
def api():
    _Api.requests, _Api.status, _Api.location = [], 201, ""
    _Api.answer = b'{"id": 7, "url": "https://review.example.org/?run=7"}'
    server = HTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_submission_posts_the_contract(tmp_path, clean_env, api):
    data = failing_csv(tmp_path)
    clean_env.setenv("RAI_TOKEN", TOKEN)
    result = rai(*check_args(data), "--submit", api + "/")
    assert result.returncode == 1, result.stderr
    assert result.stderr == "submitted run 7: https://review.example.org/?run=7\n"
    [request] = _Api.requests
    assert request["path"] == "/v1/runs"
    assert request["auth"] == f"Bearer {TOKEN}"
    assert set(request["body"]) == {"report", "policy_text", "provenance"}
    assert request["body"]["report"]["verdict"] == "fail"
    assert sorted(request["body"]["policy_text"].values()) == sorted(_policy_files().values())
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (401, b'{"detail": "bad token"}', "refused the token (HTTP 401): check RAI_TOKEN"),
        (403, b"{}", "refused the token (HTTP 403)"),
        (413, b'{"detail": "report too large"}', "answered HTTP 413: report too large"),
        (201, b"<html>not json</html>", "gave an answer that is not a JSON object"),
        (201, b'{"id": "7"}', "gave an answer without a run id"),
    ],
)
def test_http_failures_are_one_line_exit_2(tmp_path, clean_env, api, status, answer, expected):
    _Api.status, _Api.answer = status, answer
    clean_env.setenv("RAI_TOKEN", TOKEN)
    result = rai(*check_args(failing_csv(tmp_path)), "--submit", api)
    assert result.returncode == 2
    assert result.stderr.startswith("rai: error: the API at http://127.0.0.1:")
    assert expected in result.stderr and result.stderr.count("\n") == 1
    assert TOKEN not in result.stdout + result.stderr


def test_http_redirect_is_not_followed(tmp_path, clean_env, api):
    _Api.status, _Api.location = 307, "https://elsewhere.example/v1/runs"
    clean_env.setenv("RAI_TOKEN", TOKEN)
    result = rai(*check_args(failing_csv(tmp_path)), "--submit", api)
    assert result.returncode == 2
    assert result.stderr == f"rai: error: {REDIRECTED.format(url=api)}\n"
    assert len(_Api.requests) == 1


def test_http_needs_a_token_and_https_off_this_machine(tmp_path, clean_env):
    data = failing_csv(tmp_path)
    result = rai(*check_args(data), "--submit", "https://review.example.org")
    assert (result.returncode, result.stderr) == (2, f"rai: error: {NO_TOKEN}\n")
    clean_env.setenv("RAI_TOKEN", TOKEN)
    result = rai(*check_args(data), "--submit", "http://review.example.org")
    expected = PLAIN_HTTP.format(host="review.example.org")
    assert (result.returncode, result.stderr) == (2, f"rai: error: {expected}\n")


def test_unreachable_api_masks_the_url(tmp_path, clean_env):
    clean_env.setenv("RAI_TOKEN", TOKEN)
    result = rai(
        *check_args(failing_csv(tmp_path)), "--submit", "http://u:pw-123@127.0.0.1:1/x?k=v"
    )
    assert result.returncode == 2
    assert result.stderr.startswith("rai: error: cannot reach the API at http://127.0.0.1:1/x: ")
    assert "pw-123" not in result.stderr and "k=v" not in result.stderr
