"""The helper process of ``rai app``: the sample's report, the same as the server's own audit."""

from __future__ import annotations

import threading
import time

import pytest

from responsible_ai import sample_start
from responsible_ai.audit_run import sample_run
from responsible_ai.hashing import sha256_file
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


@pytest.fixture
def sample_store(tmp_path):
    """A store holding the sample's run as the app saves it (no submitter)."""
    from responsible_ai.store.store import ReviewStore

    store = ReviewStore(f"sqlite:///{tmp_path / 'store.sqlite'}")
    report = sample_run().report
    texts = sample_start.sample_policy_texts(report)
    run = store.save_run(report, label=SAMPLE_LABEL, reuse=True, policy_text=texts)
    return store, run


def test_a_restart_finds_the_samples_run_in_the_store(sample_store):
    store, run = sample_store
    found = sample_start.stored_sample(store)
    assert found is not None and found.run_id == run
    assert sample_start.same_audit(found.report, sample_run().report)


def test_a_submitted_run_is_never_taken_for_the_sample(tmp_path):
    from responsible_ai.store.identity import local_identity
    from responsible_ai.store.store import ReviewStore

    store = ReviewStore(f"sqlite:///{tmp_path / 'store.sqlite'}")
    report = sample_run().report
    store.save_run(report, label=SAMPLE_LABEL, submitter=local_identity("submitter"))
    assert sample_start.stored_sample(store) is None  # anyone may submit under that label


@pytest.mark.parametrize("change", ["versions", "policy", "data"])
def test_changed_inputs_are_audited_again(sample_store, monkeypatch, tmp_path, change):
    store, _ = sample_store
    if change == "versions":
        bumped = {**sample_run().report.versions, "scikit-learn": "9.9.9"}
        monkeypatch.setattr("responsible_ai.auditing.package_versions", lambda: bumped)
    elif change == "policy":
        import shutil

        from responsible_ai.audit_run import SAMPLE_POLICY, policies_dir

        copy = tmp_path / "policies"
        shutil.copytree(policies_dir(), copy)
        monkeypatch.setattr("responsible_ai.audit_run.policies_dir", lambda: copy)
        assert sample_start.stored_sample(store) is None  # another folder: another policy file
        monkeypatch.setattr("responsible_ai.audit_run.policies_dir", lambda: policies_dir())
        report = store.report(store.latest_own_run(SAMPLE_LABEL, _data_sha()))
        extended = report.policy["files"][-1]["path"]
        monkeypatch.setattr(
            "responsible_ai.hashing.sha256_file",
            lambda path: "0" * 64 if str(path) == extended else _real_sha256_file(path),
        )
        assert SAMPLE_POLICY not in extended  # the file it extends counts too
    else:
        from responsible_ai import datasets

        real = datasets.load_german_credit

        def edited():
            german = real()
            german.data.loc[0, "age"] = 99
            return german

        monkeypatch.setattr(datasets, "load_german_credit", edited)
    assert sample_start.stored_sample(store) is None


def _data_sha() -> str:
    from responsible_ai.datasets import load_german_credit
    from responsible_ai.hashing import sha256_frame

    return sha256_frame(load_german_credit().data)


_real_sha256_file = sha256_file  # before any test replaces it


def test_a_stored_sample_run_holds_the_server_audit_back_until_the_first_page(
    server_audits, sample_store, monkeypatch
):
    store, run = sample_store
    monkeypatch.setattr(sample_start, "_HELPER", {})  # no helper (a busy machine)
    monkeypatch.setattr(sample_start, "_STORED", {})
    monkeypatch.setattr(sample_start, "_STORED_CHECKED", threading.Event())
    monkeypatch.setattr(sample_start, "_STORED_GIVEN_UP", threading.Event())
    monkeypatch.setenv(sample_start.STORED_FIRST_ENV, "1")
    monkeypatch.setenv("RAI_STORE_URL", store.url)
    sample_start.check_stored_sample()
    found = sample_start.early_stored_sample(wait=1)
    assert found is not None and found.run_id == run
    worker = threading.Thread(target=sample_start.audit_after_first_page, args=(30,))
    worker.start()
    time.sleep(0.3)
    assert server_audits == []  # the first page shows the stored run: no audit to race it
    sample_start.first_page_drawn()
    worker.join(10)
    assert server_audits == [1]


def test_without_rai_app_the_store_is_not_looked_at(monkeypatch):
    monkeypatch.delenv(sample_start.STORED_FIRST_ENV, raising=False)
    started = time.monotonic()
    assert sample_start.early_stored_sample(wait=30) is None
    assert time.monotonic() - started < 1
