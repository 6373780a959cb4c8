"""Attacks on the review store: whoever holds the database file edits, deletes, inserts, re-hashes
or rolls back records; `rai store verify` must say so (exit 1, naming the record), create nothing
when there is no store (exit 2), and never print a password of the store URL."""

from __future__ import annotations

import contextlib
import io
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from responsible_ai.auditing import audit
from responsible_ai.cli import main
from responsible_ai.datasets import load_german_credit
from responsible_ai.report.model import Report
from responsible_ai.review import Review
from responsible_ai.store import Identity, ReviewStore
from responsible_ai.store.chain import ChainState, record_hash, seal
from responsible_ai.store.store import SPECS

KEY = "3f9a1c7e5b2d8064a9e1f3c5b7d9e2a4c6f8b0d1e3a5c7f9b2d4e6a8c0f1b3d5"
OTHER_KEY = "b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b1d3"
ROOT = Path(__file__).resolve().parents[2]


def rai(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in-process; exit code, stdout and stderr as a subprocess would give."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def report() -> Report:
    german = load_german_credit().data
    return audit(
        german.assign(approved=german["credit"]),
        str(ROOT / "policies" / "eeoc-four-fifths.yaml"),
        prediction="approved",
        target="credit",
        sensitive=["sex", "age_group"],
        positive_label="good",
    )


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    for name in ("RAI_STORE_URL", "RAI_STORE_KEY", "RAI_STORE_KEY_FILE", "RAI_LEDGER_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["keyed", "plain"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "keyed":
        monkeypatch.setenv("RAI_STORE_KEY", KEY)
    return str(request.param)


def filled(path: Path, report: Report) -> str:
    """A store with two runs and three reviews of the first; returns its URL."""
    url = f"sqlite:///{path}"
    store = ReviewStore(url)
    run = store.save_run(report)
    store.save_run(report, label="second")
    for reviewer in ("Ada", "Bo", "Cy"):
        store.add_review(
            Review(run, "reject", "", f"{reviewer} says no"),
            Identity(f"local:{reviewer}", "admin", "local"),
        )
    store.close()
    return url


def sql(path: Path, *statements: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        for statement in statements:
            connection.execute(statement)


def verify(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return rai("store", "verify", "--store", url, *extra)


def test_intact_store_verifies_and_prints_its_head(tmp_path: Path, report: Report, mode: str):
    result = verify(filled(tmp_path / "s.sqlite", report))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 run(s)" in result.stdout
    assert "3 review(s), 0 user record(s), 0 token record(s), chain intact" in result.stdout
    head = result.stdout.split("head ")[1].split()[0]
    assert len(head) == 64
    assert verify(f"sqlite:///{tmp_path / 's.sqlite'}", "--expect-head", head).returncode == 0
    if mode == "plain":
        assert "re-hash it undetected; only --expect-head" in result.stderr
    else:
        assert "keyed HMAC-SHA256" in result.stdout and result.stderr == ""


EDITS = {
    "a run's verdict": (
        "UPDATE rai_runs SET verdict = iif(verdict = 'pass', 'fail', 'pass') WHERE id = 1",
        "run 1: its content does not match its hash",
    ),
    "a finding's status": (
        "UPDATE rai_findings SET status = iif(status = 'pass', 'fail', 'pass') WHERE id = 2",
        "finding 2 (run 1, check ",
    ),
    "a review's decision": (
        "UPDATE rai_reviews SET decision = 'approve' WHERE seq = 2",
        "review #2 (run 1, approve by local:Bo): its content does not match its hash",
    ),
    "the newest review deleted": (
        "DELETE FROM rai_reviews WHERE seq = 3",
        "review #3 is missing: the store's head records 3",
    ),
    "a middle review deleted": (
        "DELETE FROM rai_reviews WHERE seq = 2",
        "review #2 is missing: the rai_reviews chain jumps to #3",
    ),
    "a middle finding deleted": ("DELETE FROM rai_findings WHERE id = 2", "finding #2 is missing"),
    "a run's report text": (
        "UPDATE rai_runs SET report_json = replace(report_json, '\"pass\"', '\"fail\"')",
        "run 1: its stored report was changed",
    ),
    "a forged review appended": (
        "INSERT INTO rai_reviews (id, seq, run_id, report_sha256, check_id, decision, reviewer,"
        " comment, justification, expires_on, created_at, prev_hash, hash)"
        " SELECT 4, 4, run_id, report_sha256, NULL, 'approve', 'Eve', 'ok', '', NULL,"
        " created_at, hash, hash FROM rai_reviews WHERE seq = 3",
        "review #4 (run 1, approve by Eve): its content does not match its hash",
    ),
    "the head deleted": ("DELETE FROM rai_store_head", "the store's head record is missing"),
    "the head's counts": (
        "UPDATE rai_store_head SET state = replace(state, '[3,', '[2,')",
        "the store's head record does not match its seal",
    ),
}


@pytest.mark.parametrize("attack", list(EDITS))
def test_every_edit_is_named_with_exit_1(tmp_path: Path, report: Report, mode: str, attack: str):
    path = tmp_path / "s.sqlite"
    url = filled(path, report)
    statement, named = EDITS[attack]
    sql(path, statement)
    result = verify(url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("BROKEN ")
    assert named in result.stdout


def rehash_everything(
    path: Path, key: bytes | None, mode: str | None = None, blank_check: bool = True
) -> None:
    """What an attacker who knows the algorithm does: recompute every hash and the seal."""
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.row_factory = sqlite3.Row
        head = connection.execute("SELECT * FROM rai_store_head").fetchone()
        state = ChainState(mode or head["mode"])
        for table in ("rai_runs", "rai_findings", "rai_reviews"):
            rows = connection.execute(f"SELECT * FROM {table} ORDER BY seq").fetchall()
            for row in rows:
                names = row.keys()  # a sqlite3.Row iterates its values, not its names
                content = {k: row[k] for k in names if k not in ("report_json", "hash")}
                count, last = state.tables.get(table, [0, "0" * 64])
                content["prev_hash"] = last
                digest = record_hash(key, table, content, SPECS[table].optional)
                connection.execute(
                    f"UPDATE {table} SET prev_hash = ?, hash = ? WHERE id = ?",
                    (last, digest, row["id"]),
                )
                state.tables[table] = [count + 1, digest]
        connection.execute(
            "UPDATE rai_store_head SET mode = ?, key_check = ?, state = ?, seal = ?",
            (
                state.mode,
                "" if blank_check else head["key_check"],
                state.to_json(),
                seal(key, state),
            ),
        )


@pytest.mark.parametrize(
    ("blank_check", "named"),
    [
        (True, "the store was re-hashed by someone without the key"),
        (False, "the store's head record does not match its seal"),
    ],
)
def test_rehashing_without_the_key_is_detected(
    tmp_path: Path, report: Report, monkeypatch: pytest.MonkeyPatch, blank_check: bool, named: str
):
    monkeypatch.setenv("RAI_STORE_KEY", KEY)
    path = tmp_path / "s.sqlite"
    url = filled(path, report)
    sql(path, "UPDATE rai_runs SET verdict = 'pass' WHERE id = 1")
    rehash_everything(path, key=None, blank_check=blank_check)  # plain SHA-256: no key
    result = verify(url)
    assert result.returncode == 1
    assert named in result.stdout


def test_stripping_the_key_mode_is_detected(
    tmp_path: Path, report: Report, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RAI_STORE_KEY", KEY)
    path = tmp_path / "s.sqlite"
    url = filled(path, report)
    head = verify(url).stdout.split("head ")[1].split()[0]
    sql(path, "UPDATE rai_runs SET verdict = 'pass' WHERE id = 1")
    rehash_everything(path, key=None, mode="plain")  # pretend it never had a key
    result = verify(url)
    assert result.returncode == 1
    assert "marked as created without a key, but RAI_STORE_KEY is set" in result.stdout
    monkeypatch.delenv("RAI_STORE_KEY")
    assert verify(url).returncode == 0  # without the key, a plain re-hash cannot be told ...
    caught = verify(url, "--expect-head", head)  # ... except by the head kept elsewhere
    assert caught.returncode == 1 and f"not the expected {head}" in caught.stdout


def test_rehashing_a_plain_store_is_caught_by_the_expected_head(tmp_path: Path, report: Report):
    path = tmp_path / "s.sqlite"
    url = filled(path, report)
    head = verify(url).stdout.split("head ")[1].split()[0]
    sql(path, "UPDATE rai_runs SET verdict = 'pass' WHERE id = 1")
    rehash_everything(path, key=None)
    assert verify(url).returncode == 0  # the warning printed on every plain verify says why
    assert verify(url, "--expect-head", head).returncode == 1


def test_rolled_back_tail_is_caught_only_by_the_expected_head(
    tmp_path: Path, report: Report, mode: str
):
    path = tmp_path / "s.sqlite"
    url = filled(path, report)
    shutil.copy(path, tmp_path / "old.sqlite")
    store = ReviewStore(url)
    store.add_review(Review(1, "reject", "Dee", "no"))
    store.close()
    head = verify(url).stdout.split("head ")[1].split()[0]
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "old.sqlite", path)  # an old, consistent copy: the newest review gone
    assert verify(url).returncode == 0
    result = verify(url, "--expect-head", head)
    assert result.returncode == 1 and "records were deleted from the end" in result.stdout


def test_missing_store_exits_2_and_creates_nothing(tmp_path: Path):
    target = tmp_path / "nowhere" / "store.sqlite"
    result = verify(f"sqlite:///{target}")
    assert result.returncode == 2
    assert (
        result.stderr == f"rai: error: no review store at sqlite:///{target}: nothing to "
        "verify (check --store or RAI_STORE_URL)\n"
    )
    assert not (tmp_path / "nowhere").exists()
    home = rai("store", "verify")  # the default under $RAI_HOME
    assert home.returncode == 2 and not (tmp_path / "home").exists()
    assert rai("store", "verify", "--store", "sqlite://").returncode == 2


def test_keyed_store_needs_its_key(tmp_path: Path, report: Report, monkeypatch):
    monkeypatch.setenv("RAI_STORE_KEY", KEY)
    url = filled(tmp_path / "s.sqlite", report)
    monkeypatch.delenv("RAI_STORE_KEY")
    result = verify(url)
    assert result.returncode == 2
    assert result.stderr.startswith("rai: error: this store is keyed; set RAI_STORE_KEY")
    with pytest.raises(Exception, match="this store is keyed"):
        ReviewStore(url).save_run(report)  # nor can it be written without the key
    monkeypatch.setenv("RAI_STORE_KEY", OTHER_KEY)
    wrong = verify(url)  # another key: the store cannot be trusted, whichever the reason
    assert wrong.returncode == 1 and "is not the key it was created with" in wrong.stdout


def test_plain_store_is_not_extended_under_a_key(tmp_path: Path, report: Report, monkeypatch):
    url = filled(tmp_path / "s.sqlite", report)
    monkeypatch.setenv("RAI_STORE_KEY", KEY)
    with pytest.raises(Exception, match="cannot write to the store"):
        ReviewStore(url).save_run(report)


def test_key_file_readable_by_others_is_refused(tmp_path: Path, monkeypatch):
    key_file = tmp_path / "store.key"
    key_file.write_text(KEY)
    key_file.chmod(0o640)
    monkeypatch.setenv("RAI_STORE_KEY_FILE", str(key_file))
    result = rai("store", "runs", "--store", f"sqlite:///{tmp_path / 's.sqlite'}")
    assert result.returncode == 2
    assert f"run: chmod 600 {key_file}" in result.stderr
    key_file.chmod(0o600)
    assert rai("store", "runs", "--store", f"sqlite:///{tmp_path / 's.sqlite'}").returncode == 0


@pytest.mark.parametrize("weak", ["a" * 64, "password", "abababababababababababababababab"])
def test_weak_key_is_refused(tmp_path: Path, monkeypatch, weak: str):
    monkeypatch.setenv("RAI_STORE_KEY", weak)
    result = rai("store", "runs", "--store", f"sqlite:///{tmp_path / 's.sqlite'}")
    assert result.returncode == 2
    assert "is too easy to guess" in result.stderr or "at least 32 bytes" in result.stderr
    assert weak not in result.stderr  # the key itself is never echoed
    assert not (tmp_path / "s.sqlite").exists()


def test_legacy_store_is_refused_not_silently_migrated(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    sql(
        path,
        "CREATE TABLE rai_runs (id INTEGER PRIMARY KEY, verdict TEXT, report_json TEXT)",
        "INSERT INTO rai_runs VALUES (1, 'pass', '{}')",
    )
    result = verify(f"sqlite:///{path}")
    assert result.returncode == 2
    assert "written by an older responsible-ai without the record chain" in result.stderr
    with contextlib.closing(sqlite3.connect(path)) as connection:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
    assert tables == {"rai_runs"}  # untouched


PASSWORD_URLS = [
    "postgresql://rai:s3cr3t-pw@127.0.0.1:1/store",  # nothing listens (or no driver installed)
    "postgresql://rai:s3cr3t-pw@127.0.0.1:notaport/store",  # not a valid URL
    "nosuchdb://rai:s3cr3t-pw@host/store",
    "rai:s3cr3t-pw@host/store",
]


@pytest.mark.parametrize("url", PASSWORD_URLS)
@pytest.mark.parametrize("command", [("store", "verify", "--store"), ("store", "runs", "--store")])
def test_store_password_is_never_printed(url: str, command: tuple[str, ...]):
    result = rai(*command, url)
    assert result.returncode == 2
    assert "s3cr3t-pw" not in result.stdout + result.stderr
    assert "rai:***@" in result.stderr and result.stderr.count("\n") == 1


def test_store_password_is_not_in_the_app_environment_message(monkeypatch):
    monkeypatch.setenv("RAI_STORE_URL", PASSWORD_URLS[0])
    with pytest.raises(Exception) as caught:
        ReviewStore()
    assert "s3cr3t-pw" not in str(caught.value) and "rai:***@" in str(caught.value)


def test_verify_leaves_nothing_beside_a_copy(tmp_path: Path, report: Report):
    url = filled(tmp_path / "s.sqlite", report)
    assert verify(url).returncode == 0
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(tmp_path / "s.sqlite", copy / "s.sqlite")
    (copy / "s.sqlite").chmod(0o444)
    before = sorted(p.name for p in copy.iterdir())
    result = verify(f"sqlite:///{copy / 's.sqlite'}")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in copy.iterdir()) == before  # nothing written beside it
