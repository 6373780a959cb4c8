"""The app's first page: the sample's report, audited in a helper process while ``rai app`` starts.

The review app opens on the German credit sample audited with the lending policy. Audited in
the server's own process, that audit (importing scikit-learn, training the reference model,
eleven checks) is serialized with Streamlit's start and the first page by the interpreter lock.
``rai app`` therefore starts a helper process (:func:`start_helper`) that audits the sample on
the other core and writes its report as JSON; the first page shows that report
(:func:`helper_report`). A report carries no data and no model, which the Explanations,
Privacy and Policy pages need: the server audits the sample itself once the first page is drawn
(:func:`audit_after_first_page`), and the app switches to that run. Both audits have the same
inputs and seed, so the report is the same (the store keeps one run for both).

Run as ``python -m responsible_ai.sample_start REPORT.json`` (what :func:`start_helper` does).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from responsible_ai.audit_run import AuditRun, StoredRun
    from responsible_ai.report.model import Report
    from responsible_ai.store.store import ReviewStore

__all__ = [
    "HELPER_ENV",
    "SAMPLE_DIFFERS_NOTE",
    "SAMPLE_LABEL",
    "SAMPLE_LOADING_CAPTION",
    "SAMPLE_LOADING_NOTE",
    "SAMPLE_REPORT_ENV",
    "SAMPLE_STORED_NOTE",
    "STORED_FIRST_ENV",
    "audit_after_first_page",
    "check_stored_sample",
    "early_stored_sample",
    "first_page_drawn",
    "helper_pays_off",
    "helper_report",
    "loaded_sample",
    "same_audit",
    "sample_policy_texts",
    "server_audit_finished",
    "start_helper",
    "stop_helper",
    "stored_sample",
]

#: Where the helper writes the sample's report (set by :func:`start_helper`, read by the app).
SAMPLE_REPORT_ENV = "RAI_SAMPLE_REPORT"
#: ``1`` (what ``rai app`` sets unless it is set): a restart shows the sample's run from the
#: store first when its inputs are unchanged (:func:`stored_sample`); ``0``: never.
STORED_FIRST_ENV = "RAI_APP_STORED_SAMPLE"
#: How long the first page waits for the store to be looked up at start (seconds).
STORED_WAIT_SECONDS = 3.0
#: ``1``: always audit the sample in a helper process at start; ``0``: never (see
#: :func:`helper_pays_off`).
HELPER_ENV = "RAI_APP_SAMPLE_HELPER"
#: What the app calls the sample run (the label :func:`responsible_ai.audit_run.sample_run` gives).
SAMPLE_LABEL = "German credit sample (reference model)"
#: What the Overview says while it shows the helper's report.
SAMPLE_LOADING_NOTE = (
    "This is the sample's report, audited by a helper process while the app started. Its data "
    "and model are still loading in this server: Explanations, Privacy and Policy wait for "
    "them. The page switches to the loaded run by itself (the same run and findings: same "
    "inputs, same seed)."
)
#: What the Overview says while it shows the sample's run from the store (a restart).
SAMPLE_STORED_NOTE = (
    "This is the sample's report as the review store keeps it from an earlier start: the same "
    "sample data, policy files and package versions as now. Its data and model are still "
    "loading in this server: Explanations, Privacy and Policy wait for them. The page switches "
    "to this server's new audit by itself (the same findings are expected: same inputs, same "
    "seed; if they differ, the new audit is shown, and the Overview says so)."
)
#: What the Overview says when the new audit did not repeat the stored report it replaced.
SAMPLE_DIFFERS_NOTE = (
    "The sample's new audit differs from run {stored}, the report the store kept from an "
    "earlier start (shown first): run {run}, shown now, is the new audit."
)
#: What the sidebar says meanwhile, under the run's name.
SAMPLE_LOADING_CAPTION = "Its report only, for now: its data and model are loading."
#: How long a page waits for the helper's report before auditing the sample itself (seconds).
HELPER_WAIT_SECONDS = 60.0
#: How long the server waits for its first page before auditing the sample anyway (seconds).
FIRST_PAGE_WAIT_SECONDS = 10.0

_HELPER: dict[str, subprocess.Popen[bytes]] = {}
_STORED: dict[str, StoredRun] = {}
_STORED_CHECKED = threading.Event()
_STORED_GIVEN_UP = threading.Event()  # a page stopped waiting: the helper is no longer stopped
_FIRST_PAGE = threading.Event()
_SERVER_AUDIT_DONE = threading.Event()


def helper_pays_off() -> bool:
    """Whether a helper process would have a core of its own: ``$RAI_APP_SAMPLE_HELPER`` (``1``
    or ``0``) decides when set, else the machine must have a core idle (one-minute load average
    at least one below the number of cores).

    On a machine whose cores are all busy, a second process only adds the sample's audit a
    second time to the work that waits for a core: the server then audits it itself, as before.
    """
    given = os.environ.get(HELPER_ENV, "").strip()
    if given in ("0", "1"):
        return given == "1"
    cores = os.cpu_count() or 1
    return cores >= 2 and os.getloadavg()[0] <= cores - 1


def start_helper() -> Path:
    """Start the helper process that audits the sample; returns where its report will be.

    The report goes to a new private directory (removed when this process exits), named in
    ``$RAI_SAMPLE_REPORT`` for the app, which runs in this process.
    """
    directory = Path(tempfile.mkdtemp(prefix="rai-sample-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    target = directory / "sample-report.json"
    os.environ[SAMPLE_REPORT_ENV] = str(target)
    command = [sys.executable, "-m", "responsible_ai.sample_start", str(target)]
    devnull = subprocess.DEVNULL
    _HELPER["process"] = subprocess.Popen(command, stdin=devnull, stdout=devnull, stderr=devnull)
    atexit.register(stop_helper)
    return target


def stop_helper() -> None:
    """Stop the helper process if it still runs (its report is no longer needed)."""
    process = _HELPER.get("process")
    if process is not None and process.poll() is None:
        process.terminate()


def _helper_running() -> bool:
    process = _HELPER.get("process")
    return process is not None and process.poll() is None


def _report_written() -> bool:
    given = os.environ.get(SAMPLE_REPORT_ENV)
    return bool(given) and Path(str(given)).is_file()


def helper_report(wait: float = HELPER_WAIT_SECONDS) -> Report | None:
    """The sample's report from the helper, waiting up to ``wait`` seconds while it runs.

    None when no helper was started (the app was not started by ``rai app``), when it failed
    (the app then audits the sample itself and shows the failure with its fix), or when it
    takes longer than ``wait``.
    """
    given = os.environ.get(SAMPLE_REPORT_ENV)
    if not given:
        return None
    target = Path(given)
    deadline = time.monotonic() + wait
    while not target.is_file():
        if loaded_sample() is not None:  # this process was quicker: no need for the report
            return None
        if not _helper_running() or time.monotonic() > deadline:
            if not target.is_file():  # it may have finished between the two looks
                return None
            break
        time.sleep(0.02)
    from responsible_ai.report.model import Report

    try:
        return Report.from_json(target.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stored_sample(store: ReviewStore) -> StoredRun | None:
    """The sample's newest run in ``store`` when its inputs are the sample's as this install
    audits it now (chain verified, read only); None when there is no such run.

    The same inputs: a run the app itself saved (no submitter) under :data:`SAMPLE_LABEL`, of
    the same sample data (SHA-256 of its table), with the same policy files (each one's
    SHA-256, read again now) and the same versions of Python and of the packages that shape the
    numbers (the reference model is trained from the data, by them, with the policy's seed).
    A restart of ``rai app`` shows it first; the server audits the sample again after the first
    page and switches to that audit (:func:`same_audit` tells whether they agree).

    Raises
    ------
    InputError
        The store's chain is broken (nothing is shown from it).
    """
    from responsible_ai.audit_run import SAMPLE_POLICY, open_stored_run, policies_dir
    from responsible_ai.auditing import package_versions
    from responsible_ai.datasets import load_german_credit
    from responsible_ai.hashing import sha256_file, sha256_frame

    found = store.latest_own_run(SAMPLE_LABEL, sha256_frame(load_german_credit().data))
    if found is None:
        return None
    report = store.report(found)
    files = report.policy.get("files") or []
    if report.policy.get("path") != str(policies_dir() / SAMPLE_POLICY) or not files:
        return None
    for entry in files:
        path = Path(str(entry.get("path")))
        if not path.is_file() or sha256_file(path) != entry.get("sha256"):
            return None
    if report.versions != package_versions():
        return None
    return open_stored_run(store, found)


def _stored_first() -> bool:
    return os.environ.get(STORED_FIRST_ENV, "").strip() == "1"


def check_stored_sample() -> None:
    """Look for the sample's run in the store at start (``rai app`` does, in a thread, while
    Streamlit starts); found, the helper is stopped: the first page shows the stored run.
    Never raises: a store that cannot be read leaves the first page to the helper or the audit.
    """
    try:
        if _stored_first():
            from responsible_ai.store.location import default_store_url
            from responsible_ai.store.store import ReviewStore

            store = ReviewStore(default_store_url())
            try:
                found = stored_sample(store)
            finally:
                store.close()
            if found is not None and not _STORED_GIVEN_UP.is_set():
                _STORED["run"] = found
                stop_helper()
    except Exception:  # the first page audits the sample (and says what failed) instead
        pass
    finally:
        _STORED_CHECKED.set()


def early_stored_sample(wait: float = STORED_WAIT_SECONDS) -> StoredRun | None:
    """The sample's run :func:`check_stored_sample` found in the store, waiting up to ``wait``
    seconds for the look; None when ``rai app`` did not ask for it or none was found."""
    if not _stored_first():
        return None
    if not _STORED_CHECKED.wait(wait):
        _STORED_GIVEN_UP.set()  # too slow: the page takes the helper's report or audits
    return _STORED.get("run")


def sample_policy_texts(report: Report) -> dict[str, str]:
    """The exact text of every policy file the sample's audit used, by path (for the store)."""
    from dataclasses import dataclass

    from responsible_ai.audit_run import SAMPLE_POLICY, policies_dir, recorded_policy_text

    @dataclass
    class _Ran:  # what recorded_policy_text reads of a run
        report: Report
        policy_text: str

    text = (policies_dir() / SAMPLE_POLICY).read_text(encoding="utf-8")
    return recorded_policy_text(_Ran(report, text))  # type: ignore[arg-type]


def same_audit(first: Report, second: Report) -> bool:
    """Whether two reports audited the same inputs and found the same (when they ran aside)."""

    def _content(report: Report) -> dict[str, object]:
        content = report.to_dict()
        for key in ("created_at", "duration_seconds"):
            content.pop(key, None)
        return content

    return _content(first) == _content(second)


def loaded_sample() -> AuditRun | None:
    """The sample as this process audited it (data and model at hand), or None until then."""
    from responsible_ai import audit_run

    return audit_run.loaded_sample()


def server_audit_finished() -> bool:
    """Whether this process's own audit of the sample has ended (done or failed)."""
    return _SERVER_AUDIT_DONE.is_set() or loaded_sample() is not None


def first_page_drawn() -> None:
    """Tell :func:`audit_after_first_page` that a page has been drawn (the app calls it)."""
    _FIRST_PAGE.set()


def audit_after_first_page(first_page_wait: float = FIRST_PAGE_WAIT_SECONDS) -> None:
    """Audit the sample in this process once the first page is drawn (or after the wait).

    Without a helper (it could not start, or failed) and without the sample's run in the store
    (:func:`check_stored_sample`) the audit starts at once. Failures are not raised here: the
    app audits the sample itself and shows the problem with its fix.
    """
    try:
        deadline = time.monotonic() + first_page_wait
        while ("process" in _HELPER or "run" in _STORED) and not _FIRST_PAGE.wait(0.05):
            shown_first = "run" in _STORED or _helper_running() or _report_written()
            if time.monotonic() > deadline or not shown_first:
                break  # no page asked in time, or the helper failed: audit now
        from responsible_ai.audit_run import sample_run

        sample_run()
    except Exception:  # shown by the app's first page that needs the sample
        pass
    finally:
        _SERVER_AUDIT_DONE.set()
        _reap_helper()


def _reap_helper() -> None:
    """Wait for the helper's end (it has written its report by now), so that it leaves no
    zombie process and its CPU time counts as this process's children's."""
    process = _HELPER.get("process")
    if process is not None and hasattr(process, "wait"):
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=HELPER_WAIT_SECONDS)


def main(argv: list[str]) -> int:
    """Audit the sample and write its report as JSON to ``argv[0]`` (atomically)."""
    from responsible_ai._atomic import write_text_atomic
    from responsible_ai.audit_run import sample_run

    write_text_atomic(argv[0], sample_run().report.to_json(indent=None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
