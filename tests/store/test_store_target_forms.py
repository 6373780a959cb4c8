"""``--store`` takes the same forms everywhere (a SQLite path or a URL), and a command that only
reads or amends a store says in one line when its file does not exist (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_helpers import rai

from responsible_ai.store import ReviewStore
from responsible_ai.store.service_cli import NO_STORE

PASSWORD = "correct horse battery"


@pytest.fixture
def env(clean_env, monkeypatch):
    monkeypatch.setenv("RAI_NEW_PASSWORD", PASSWORD)
    return clean_env


def _run_of(store_path: Path, failing_report) -> int:
    with ReviewStore(f"sqlite:///{store_path}") as store:
        return store.save_run(failing_report)


@pytest.mark.parametrize("form", ["path", "relative path", "url"])
def test_every_store_command_takes_a_path_or_a_url(env, tmp_path, failing_report, form):
    path = tmp_path / "team.sqlite"
    target = {"path": str(path), "relative path": "team.sqlite", "url": f"sqlite:///{path}"}[form]
    added = rai("users", "add", "root", "--role", "admin", "--store", target, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert path.is_file()
    run = _run_of(path, failing_report)
    for args in (
        ["users", "list"],
        ["tokens", "list"],
        ["gate", str(run)],
        ["store", "verify"],
        ["store", "runs"],
        ["store", "upgrade"],
    ):
        done = rai(*args, "--store", target, cwd=tmp_path)
        assert done.returncode == (1 if args[0] == "gate" else 0), (args, done.stderr)
        assert "Traceback" not in done.stderr
    gate = rai("gate", str(run), "--store", target, cwd=tmp_path)
    assert gate.stderr == f"run {run} is pending review\n"


def test_serve_reads_the_store_argument_as_gate_does(env, tmp_path, monkeypatch):
    from responsible_ai.api import cli as serve_cli

    opened = []
    monkeypatch.setattr(
        "responsible_ai.api.app.create_app", lambda url, **kwargs: opened.append((url, kwargs))
    )
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    done = rai("serve", "--store", "team.sqlite", "--max-upload-mb", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    url = f"sqlite:///{(tmp_path / 'team.sqlite').resolve()}"
    assert opened == [(url, {"max_upload_mb": 3})]
    assert serve_cli  # the module that resolves it


@pytest.mark.parametrize(
    "args",
    [
        ["gate", "1"],
        ["gate", "--latest", "--policy", "german-credit-lending"],
        ["users", "list"],
        ["users", "disable", "alice"],
        ["tokens", "list"],
        ["tokens", "add", "--user", "alice"],
        ["tokens", "revoke", "abc"],
    ],
)
def test_a_store_file_that_does_not_exist_is_named_in_one_line(env, tmp_path, args):
    missing = tmp_path / "nowhere.sqlite"
    done = rai(*args, "--store", str(missing), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"rai: error: {NO_STORE.format(url=f'sqlite:///{missing}')}\n"
    assert not missing.exists()  # nothing created by asking


@pytest.mark.parametrize("args", [["users", "add", "root", "--role", "admin"], ["store", "runs"]])
def test_a_url_missing_its_scheme_is_not_a_file_to_create(env, tmp_path, args):
    done = rai(*args, "--store", "rai:s3cr3t-pw@host/store", cwd=tmp_path)
    assert done.returncode == 2
    assert "s3cr3t-pw" not in done.stdout + done.stderr and "rai:***@" in done.stderr
    assert not list(tmp_path.glob("rai*"))  # no file named after the URL
