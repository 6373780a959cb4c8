"""Reports are written atomically: a failure leaves the old file, never half of a new one."""

from __future__ import annotations

from pathlib import Path

import pytest

from responsible_ai._atomic import write_text_atomic


def test_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.json"
    write_text_atomic(target, "first")
    write_text_atomic(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_failure_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    write_text_atomic(target, "old")

    def broken_replace(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_permissions_follow_the_umask(tmp_path: Path) -> None:
    import os

    previous = os.umask(0o022)
    try:
        target = write_text_atomic(tmp_path / "report.json", "x")
    finally:
        os.umask(previous)
    assert target.stat().st_mode & 0o777 == 0o644
