"""Attacks on output paths: no command overwrites an input, replaces a special file or a symlink,
or leaves a temporary file behind, whatever the path, the disk or a signal does.

Hostile paths are built in ``tmp_path`` only: FIFOs, sockets, symlinks, hard links, and (as root)
a device node made with ``os.mknod``. No real device is ever touched.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from responsible_ai._atomic import (
    IS_A_DIRECTORY,
    IS_AN_INPUT,
    NOT_A_REGULAR_FILE,
    OutputError,
    OutputWriteError,
    guard_output,
    write_text_atomic,
)
from responsible_ai.cli import main

ROOT = Path(__file__).resolve().parents[2]

POLICY = """\
name: tiny
version: "1"
data:
  prediction: pred
  positive_label: 1
  sensitive: [group]
checks:
  - id: ratio
    metric: fairness.selection_rate_ratio
    must: ">= 0.8"
    severity: high
"""


def rai(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in-process: exit code, stdout and stderr as a subprocess would give them."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess([str(a) for a in args], code, out.getvalue(), err.getvalue())


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0].removeprefix("rai: error: ")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """A folder with a small data file and a policy that extends a base policy."""
    rows = ["group,pred"] + [f"{'a' if i % 2 else 'b'},{int(i % 3 == 0)}" for i in range(60)]
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "base.yaml").write_text(POLICY)
    (tmp_path / "policy.yaml").write_text("extends: base.yaml\nname: child\n")
    (tmp_path / "model.skops").write_bytes(b"not really a model: the guard runs before loading")
    return tmp_path


def check(case: Path, output: object, *extra: object) -> subprocess.CompletedProcess[str]:
    return rai("check", case / "data.csv", "--policy", case / "policy.yaml", "--output", output,
               *extra)  # fmt: skip


def test_the_check_writes_its_report(case: Path) -> None:
    result = check(case, case / "report.json")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads((case / "report.json").read_text())["checks"]


@pytest.mark.parametrize(
    ("output", "role"),
    [
        ("data.csv", "input data file"),
        ("./sub/../data.csv", "input data file"),
        ("policy.yaml", "policy file"),
        ("base.yaml", "policy file it extends"),  # known only once the policy is loaded
    ],
)
def test_check_refuses_to_write_over_an_input(case: Path, output: str, role: str) -> None:
    (case / "sub").mkdir()
    before = {p.name: p.read_bytes() for p in case.iterdir() if p.is_file()}
    result = check(case, case / output)
    assert one_line_error(result) == IS_AN_INPUT.format(
        path=case / output, role=role, flag="--output"
    )
    assert {p.name: p.read_bytes() for p in case.iterdir() if p.is_file()} == before
    assert leftovers(case) == []


def test_check_refuses_the_model_file_before_loading_it(case: Path) -> None:
    model = case / "model.skops"
    result = check(case, model, "--model", model)
    assert one_line_error(result) == IS_AN_INPUT.format(
        path=model, role="model file", flag="--output"
    )


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_link_to_the_data_is_the_data(case: Path, link: str) -> None:
    alias = case / "alias.csv"
    (os.symlink if link == "symlink" else os.link)(case / "data.csv", alias)
    before = (case / "data.csv").read_bytes()
    result = check(case, alias)
    assert one_line_error(result) == IS_AN_INPUT.format(
        path=alias, role="input data file", flag="--output"
    )
    assert (case / "data.csv").read_bytes() == before
    assert alias.is_symlink() == (link == "symlink")


def test_a_directory_is_refused(case: Path) -> None:
    result = check(case, case)
    assert one_line_error(result) == IS_A_DIRECTORY.format(path=case)


def special_files(folder: Path) -> dict[str, Path]:
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    # AF_UNIX paths are short (108 bytes): bind in a short temporary folder, then link it here.
    short = Path(tempfile.mkdtemp(prefix="rai"))
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(short / "s"))
    server.close()
    os.symlink(short / "s", folder / "socket-link")
    found = {"FIFO (named pipe)": fifo, "socket": folder / "socket-link"}
    if os.geteuid() == 0:
        node = folder / "null-like"
        with contextlib.suppress(OSError):  # some containers forbid mknod even for root
            os.mknod(node, stat.S_IFCHR | 0o600, os.makedev(1, 3))
            found["character device"] = node
    return found


def test_special_files_are_never_replaced(case: Path) -> None:
    for kind, path in special_files(case).items():
        mode = os.stat(path).st_mode
        result = check(case, path)
        assert one_line_error(result) == NOT_A_REGULAR_FILE.format(path=path, kind=kind)
        assert os.stat(path).st_mode == mode, f"{kind} was replaced"
        assert stat.S_ISREG(mode) is False
    assert leftovers(case) == []


def test_a_symlink_is_followed_and_kept(case: Path) -> None:
    target = case / "reports" / "latest.json"
    target.parent.mkdir()
    target.write_text("old")
    link = case / "report.json"
    link.symlink_to(target)
    dangling = case / "dangling.json"
    dangling.symlink_to(case / "reports" / "new.json")
    for path in (link, dangling):
        assert check(case, path).returncode in (0, 1)
        assert path.is_symlink()
        assert json.loads(path.read_text())["checks"]
    assert leftovers(case) == []


def test_a_symlink_to_a_fifo_or_a_loop_is_refused(case: Path) -> None:
    os.mkfifo(case / "pipe")
    (case / "to-pipe").symlink_to(case / "pipe")
    (case / "loop").symlink_to(case / "loop")
    assert "FIFO" in one_line_error(check(case, case / "to-pipe"))
    assert "loops" in one_line_error(check(case, case / "loop"))
    assert stat.S_ISFIFO(os.stat(case / "pipe").st_mode)


def test_dash_writes_to_standard_output(case: Path) -> None:
    result = check(case, "-")
    assert result.returncode in (0, 1)
    assert json.loads(result.stdout)["checks"]  # the report alone on stdout
    assert not (case / "-").exists()


def _fail_writes(monkeypatch: pytest.MonkeyPatch, error: int) -> None:
    real_write = os.write

    def write(fd: int, data: bytes) -> int:
        if fd > 2:
            raise OSError(error, os.strerror(error))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)


def test_a_full_disk_leaves_the_old_report(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = case / "report.json"
    out.write_text("old report")
    _fail_writes(monkeypatch, errno.ENOSPC)
    line = one_line_error(check(case, out))
    assert line == (
        f"cannot write {out}: no space left on the device; nothing was written and the old file "
        "is unchanged"
    )
    assert out.read_text() == "old report"
    assert leftovers(case) == []


def test_a_failed_write_removes_the_folders_it_made(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_writes(monkeypatch, errno.ENOSPC)
    out = case / "new" / "deeper" / "report.json"
    assert "no space left" in one_line_error(check(case, out))
    assert not (case / "new").exists()


def test_a_read_only_folder(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = case / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes anyway: make the temporary file fail as it would

        def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = folder / "report.json"
    line = one_line_error(check(case, out))
    assert line == f"cannot write {out}: permission denied; nothing was written"
    assert list(folder.iterdir()) == []


def test_a_parent_that_is_a_file(case: Path) -> None:
    out = case / "data.csv" / "report.json"
    line = one_line_error(check(case, out))
    assert (
        line == f"cannot write {out}: {case / 'data.csv'} is not a directory; choose another path"
    )


def test_the_writer_raises_an_os_error_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Library callers that catch OSError for failed writes keep working."""
    _fail_writes(monkeypatch, errno.EIO)
    with pytest.raises(OSError, match="input/output error") as raised:
        write_text_atomic(tmp_path / "x.json", "{}")
    assert isinstance(raised.value, OutputWriteError)


def test_guard_passes_standard_output_and_new_files(tmp_path: Path) -> None:
    assert guard_output("-", [("input data file", "-")]) == Path("-")
    assert guard_output(tmp_path / "new.json", [("input data file", tmp_path / "x.csv")]) == (
        tmp_path / "new.json"
    )
    with pytest.raises(OutputError, match="DP ledger database file"):
        guard_output(tmp_path / "l.sqlite", [("DP ledger database file", tmp_path / "l.sqlite")])


# --- the other commands that write files -------------------------------------------------------

K_POLICY = """\
name: release
version: "1"
data:
  sensitive: [group]
privacy:
  quasi_identifiers: [group]
  key_file: {key}
transforms:
  - kind: pseudonymize
    columns: [email]
checks:
  - id: k
    metric: privacy.k_anonymity
    must: ">= 2"
    severity: high
"""


@pytest.fixture
def release_case(case: Path) -> Path:
    rows = ["group,email"] + [f"{'a' if i % 2 else 'b'},p{i}@example.org" for i in range(40)]
    (case / "people.csv").write_text("\n".join(rows) + "\n")
    key = case / "key.bin"
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)
    (case / "anon.yaml").write_text(K_POLICY.format(key=key))
    return case


def anonymize(case: Path, *extra: object) -> subprocess.CompletedProcess[str]:
    return rai("anonymize", case / "people.csv", "--policy", case / "anon.yaml", *extra)


@pytest.mark.parametrize(
    ("flag", "name", "role"),
    [
        ("--output", "people.csv", "input data file"),
        ("--report", "anon.yaml", "policy file"),
        ("--report", "key.bin", "pseudonymization key file"),
        ("--report", "people.csv", "input data file"),
    ],
)
def test_anonymize_refuses_its_inputs(release_case: Path, flag: str, name: str, role: str) -> None:
    paths = {"--output": release_case / "out.csv", "--report": release_case / "report.json"}
    paths[flag] = release_case / name
    before = (release_case / name).read_bytes()
    result = anonymize(release_case, "--output", paths["--output"], "--report", paths["--report"])
    expected = IS_AN_INPUT.format(path=release_case / name, role=role, flag=flag)
    assert one_line_error(result) == expected
    assert (release_case / name).read_bytes() == before


def test_anonymize_report_and_output_must_differ(release_case: Path) -> None:
    out = release_case / "out.csv"
    result = anonymize(release_case, "--output", out, "--report", out)
    assert "is also the --output" in one_line_error(result)


def test_anonymize_to_standard_output(release_case: Path) -> None:
    result = anonymize(release_case, "--output", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "group,email"  # the CSV alone on stdout
    assert "wrote 40 records to -" in result.stderr


DP_POLICY = """\
name: dp
version: "1"
data:
  sensitive: [group]
privacy:
  epsilon_budget: 1.0
release:
  dataset: tiny
  statistics:
    - statistic: count
      by: group
      epsilon: 0.1
"""


def test_release_refuses_the_ledger_before_spending(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAI_HOME", str(case / "home"))
    (case / "dp.yaml").write_text(DP_POLICY)
    ledger = case / "ledger.sqlite"
    assert rai("budget", "set", "tiny", "--cap", "1", "--ledger", ledger).returncode == 0
    release = ("release", case / "data.csv", "--policy", case / "dp.yaml", "--ledger", ledger)
    assert rai(*release, "--output", case / "first.json").returncode == 0
    before = ledger.read_bytes()
    result = rai(*release, "--output", ledger)
    assert one_line_error(result) == IS_AN_INPUT.format(
        path=ledger, role="DP ledger database file", flag="--output"
    )
    assert ledger.read_bytes() == before  # nothing spent, nothing replaced
    default = case / "home" / "ledger.sqlite"
    result = rai("release", case / "data.csv", "--policy", case / "dp.yaml", "--output", default)
    assert "DP ledger database file" in one_line_error(result)


def test_release_to_standard_output(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAI_HOME", str(case / "home"))
    (case / "dp.yaml").write_text(DP_POLICY)
    assert rai("budget", "set", "tiny", "--cap", "1").returncode == 0
    result = rai("release", case / "data.csv", "--policy", case / "dp.yaml", "--output", "-")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dataset"] == "tiny"
    assert "spent epsilon 0.1" in result.stderr


def test_explain_refuses_its_model_and_data(case: Path) -> None:
    model, data = case / "model.skops", case / "data.csv"
    for path, role in ((model, "model file"), (data, "input data file")):
        result = rai("explain", data, "--model", model, "--output", path)
        assert one_line_error(result) == IS_AN_INPUT.format(path=path, role=role, flag="--output")


def test_schema_commands_write_to_stdout_and_refuse_special_files(case: Path) -> None:
    result = rai("policy", "schema", "--output", "-")
    assert result.returncode == 0 and json.loads(result.stdout)
    os.mkfifo(case / "pipe")
    assert "FIFO" in one_line_error(rai("report", "schema", "--output", case / "pipe"))


# --- signals -----------------------------------------------------------------------------------

# Writes a report, but each chunk of the temporary file takes long enough to be interrupted: the
# parent sends the signal once the temporary file exists.
_SLOW_WRITER = """
import os, sys, time
real_write = os.write
def slow_write(fd, data):
    if fd > 2:
        written = real_write(fd, data[:1024])
        print("WRITING", flush=True)
        time.sleep(60)
        return written
    return real_write(fd, data)
os.write = slow_write
from responsible_ai.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("signum", "expected"), [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 130)]
)
def test_a_killed_run_leaves_no_temporary_file(case: Path, signum: int, expected: int) -> None:
    out = case / "report.md"
    out.write_text("old report")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-c", _SLOW_WRITER, "check", case / "data.csv", "--policy",
            case / "policy.yaml", "--output", out]  # fmt: skip
    with subprocess.Popen(
        [str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line == "WRITING\n", process.stderr.read() if process.stderr else ""
            assert leftovers(case), "the temporary file should exist while writing"
            process.send_signal(signum)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == expected
    assert leftovers(case) == []
    assert out.read_text() == "old report"


def test_replacing_a_file_keeps_its_permissions(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("old")
    report.chmod(0o640)
    write_text_atomic(report, "new")
    assert report.read_text() == "new" and report.stat().st_mode & 0o777 == 0o640


def test_dot_slash_dash_is_a_file(case: Path) -> None:
    result = rai("policy", "schema", "--output", "./-", cwd=case)
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads((case / "-").read_text())
