"""The helper process of ``rai app``: the sample's report, the same as the server's own audit."""

from __future__ import annotations

import threading
import time

import pytest

from responsible_ai import sample_start
from responsible_ai.audit_run import sample_run
from responsible_ai.sample_start import SAMPLE_LABEL, SAMPLE_REPORT_ENV, helper_report
from responsible_ai.store.store import _fingerprint


def test_no_helper_no_report(monkeypatch):
    monkeypatch.delenv(SAMPLE_REPORT_ENV, raising=False)
    assert helper_report(wait=0.1) is None


def test_a_helper_that_failed_gives_no_report(tmp_path, monkeypatch):
    monkeypatch.setenv(SAMPLE_REPORT_ENV, str(tmp_path / "never-written.json"))
    monkeypatch.setattr(sample_start, "_HELPER", {})
    started = time.monotonic()
    assert helper_report(wait=30) is None
    assert time.monotonic() - started < 5  # no helper runs: nothing to wait for


def test_the_label_is_the_samples():
    assert sample_run().label == SAMPLE_LABEL


@pytest.mark.e2e
def test_the_helpers_report_is_the_servers(tmp_path, monkeypatch):
    monkeypatch.setattr(sample_start, "_HELPER", {})
    monkeypatch.setattr("responsible_ai.audit_run._SAMPLE", {})  # as in a server just started
    monkeypatch.setenv(SAMPLE_REPORT_ENV, "")  # start_helper sets it: unset again afterwards
    target = sample_start.start_helper()  # a real process, as rai app starts it
    assert target.parent.stat().st_mode & 0o077 == 0  # a private directory
    report = helper_report(wait=120)
    assert report is not None
    assert _fingerprint(report) == _fingerprint(sample_run().report)  # one run in the store


class _Helper:
    """A helper process as ``subprocess.Popen`` answers ``poll()``: None while it runs."""

    def __init__(self, exit_code: int | None) -> None:
        self.exit_code = exit_code

    def poll(self) -> int | None:
        return self.exit_code


@pytest.fixture
def server_audits(monkeypatch, tmp_path) -> list[int]:
    """The server's own audit of the sample, counted (not run); nothing audited yet."""
    calls: list[int] = []
    monkeypatch.setattr(sample_start, "_FIRST_PAGE", threading.Event())
    monkeypatch.setattr(sample_start, "_SERVER_AUDIT_DONE", threading.Event())
    monkeypatch.setattr("responsible_ai.audit_run.sample_run", lambda: calls.append(1))
    monkeypatch.setattr("responsible_ai.audit_run._SAMPLE", {})
    monkeypatch.setenv(SAMPLE_REPORT_ENV, str(tmp_path / "not-written.json"))
    return calls


def test_the_server_audits_after_the_first_page(server_audits, monkeypatch):
    monkeypatch.setattr(sample_start, "_HELPER", {"process": _Helper(None)})  # still at work
    worker = threading.Thread(target=sample_start.audit_after_first_page, args=(30,))
    worker.start()
    time.sleep(0.3)
    assert server_audits == [] and not sample_start.server_audit_finished()
    sample_start.first_page_drawn()
    worker.join(10)
    assert server_audits == [1]
    assert sample_start._SERVER_AUDIT_DONE.is_set()


def test_without_a_live_helper_the_server_audits_at_once(server_audits, monkeypatch):
    monkeypatch.setattr(sample_start, "_HELPER", {"process": _Helper(1)})  # failed
    started = time.monotonic()
    sample_start.audit_after_first_page(30)
    assert server_audits == [1] and time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("given", "cores", "load", "expected"),
    [
        ("1", 1, 9.0, True),  # asked for: whatever the machine
        ("0", 8, 0.0, False),
        ("", 2, 0.3, True),  # a core idle
        ("", 2, 1.7, False),  # both cores busy: the helper would only add work
        ("", 1, 0.0, False),  # one core: nothing to run beside the server
    ],
)
def test_a_helper_only_where_a_core_is_idle(monkeypatch, given, cores, load, expected):
    monkeypatch.setenv(sample_start.HELPER_ENV, given)
    monkeypatch.setattr(sample_start.os, "cpu_count", lambda: cores)
    monkeypatch.setattr(sample_start.os, "getloadavg", lambda: (load, load, load))
    assert sample_start.helper_pays_off() is expected


def test_no_wait_for_the_helper_once_this_process_has_the_sample(tmp_path, monkeypatch):
    monkeypatch.setattr(sample_start, "_HELPER", {"process": _Helper(None)})
    monkeypatch.setenv(SAMPLE_REPORT_ENV, str(tmp_path / "not-yet.json"))
    sample_run()  # this process has audited the sample
    started = time.monotonic()
    assert helper_report(wait=30) is None
    assert time.monotonic() - started < 5
