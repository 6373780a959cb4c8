"""``rai app``: the Streamlit command it runs, and one clear line when it cannot start."""

from __future__ import annotations

import pytest

from responsible_ai.cli import main
from responsible_ai.store.cli import app_script, streamlit_command


def test_streamlit_command_carries_the_project_settings(monkeypatch):
    monkeypatch.delenv("RAI_MAX_UPLOAD_MB", raising=False)
    command = streamlit_command(port=8600, address="127.0.0.1", headless=True)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert command[4] == str(app_script())
    assert app_script().name == "streamlit_app.py" and app_script().is_file()
    for flag in (
        "--server.maxUploadSize=200",
        "--browser.gatherUsageStats=false",
        "--server.port=8600",
        "--server.address=127.0.0.1",
        "--server.headless=true",
        "--server.fileWatcherType=none",
    ):
        assert flag in command


def test_upload_limit_follows_the_environment(monkeypatch):
    monkeypatch.setenv("RAI_MAX_UPLOAD_MB", "5")
    assert "--server.maxUploadSize=5" in streamlit_command()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RAI_MAX_UPLOAD_MB", "lots", "RAI_MAX_UPLOAD_MB must be a whole number of megabytes"),
        ("RAI_APP_SCRIPT", "/nonexistent/app.py", "the review app is not found at"),
    ],
)
def test_bad_configuration_is_one_line_exit_2(monkeypatch, capsys, variable, value, message):
    monkeypatch.setenv(variable, value)
    assert main(["app", "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rai: error: {message}") and err.count("\n") == 1
