"""Attacks on the pseudonymization key: guessable keys, open key files, sources a policy picks.

Every hostile input is built here, in ``tmp_path``. ``rai anonymize`` runs in-process on the
people sample with the GDPR pseudonymisation policy (or a copy of it in a folder of its own).
"""

from __future__ import annotations

import base64
import contextlib
import doctest
import io
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from random import Random

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import responsible_ai._secret_keys as secret_keys
from responsible_ai._secret_keys import (
    KEY_FILE_DOCUMENT,
    KEY_FILE_EMPTY,
    KEY_FILE_MISSING,
    KEY_FILE_NOT_REGULAR,
    KEY_FILE_OPEN,
    KEY_FILE_TOO_LARGE,
    KEY_TOO_LONG,
    KEY_TOO_SHORT,
    KEY_TOO_WEAK,
    estimate_key_bits,
)
from responsible_ai.cli import main
from responsible_ai.errors import InputError
from responsible_ai.policy.loader import policy_from_dict
from responsible_ai.privacy import Pseudonymizer, anonymize, key_id, load_key
from responsible_ai.privacy.keys import (
    POLICY_KEY_ENV,
    POLICY_KEY_ENV_IS_A_KEY,
    POLICY_KEY_FILE_OUTSIDE,
    POLICY_KEY_FILE_WITHOUT_FOLDER,
    key_file_source,
)

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = ROOT / "sample_data" / "people.csv"
GDPR = ROOT / "policies" / "gdpr-pseudonymisation.yaml"
ENV = "RAI_PSEUDONYMIZATION_KEY"
TEST_ENV = "RAI_TEST_SECURITY_KEY"
# Weak keys people do use; all at least 32 bytes, so only the entropy estimate can refuse them.
WEAK_KEYS = [
    "a" * 32,
    "x" * 64,
    "abc" * 11,
    "abcdefghijklmnopqrstuvwxyz012345",
    "0123456789abcdef" * 2,
    "deadbeef" * 8,
    "password" * 4,
    "x7#kQ9!mZ2" * 4,
    "correct horse battery staple, 32+ bytes of key",
    "please-change-this-secret-key-in-production",
    "MySuperSecretPseudonymizationKey2024!",
    "0" * 16 + "1" * 16,
]


def rai(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: exit code, stdout, stderr (as tests/cli/test_cli_check.py)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def _key_file(path: Path, content: bytes | str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    path.chmod(mode)
    return path


def _file_label(path: Path) -> str:
    return key_file_source(path)


def _policy(folder: Path, privacy_lines: str = "", transform_lines: str = "") -> Path:
    """A copy of the GDPR policy in a folder of its own, with key settings swapped in."""
    folder.mkdir(parents=True, exist_ok=True)
    text = GDPR.read_text().replace(f"  key_env: {ENV}\n", privacy_lines)
    if transform_lines:
        text = text.replace("    columns: [person_id, email, national_id]\n", transform_lines, 1)
    policy = folder / "policy.yaml"
    policy.write_text(text)
    return policy


def _anonymize(policy: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return rai("anonymize", str(PEOPLE), "--policy", str(policy), "--output", str(out), *extra)


def _assert_refused(result: tuple[int, str, str], message: str, *secrets_: str) -> None:
    code, out, err = result
    assert code == 2, err
    assert err == f"rai: error: {message}\n"  # one line, no traceback
    for secret in secrets_:
        assert secret not in out and secret not in err


@pytest.fixture
def strong_key() -> str:
    return secrets.token_hex(32)


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.delenv(TEST_ENV, raising=False)


# -- 1. keys with entropy ---------------------------------------------------------------------


@pytest.mark.parametrize("weak", WEAK_KEYS)
def test_guessable_keys_are_refused_naming_the_source_not_the_key(
    weak: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_ENV, weak)
    message = KEY_TOO_WEAK.format(source=f"the pseudonymization key in ${TEST_ENV}")
    with pytest.raises(InputError, match=f"^{re.escape(message)}$") as refused:
        load_key(TEST_ENV)
    assert weak not in str(refused.value)
    assert "openssl rand -hex 32" in message


def test_32_identical_characters_cannot_release_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "k" * 32)
    out = tmp_path / "people.csv"
    message = KEY_TOO_WEAK.format(source=f"the pseudonymization key in ${ENV}")
    _assert_refused(_anonymize(GDPR, out), message, "k" * 32)
    assert not out.exists()


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=True))
def test_random_keys_always_pass(random: Random) -> None:
    raw = random.randbytes(32)
    for text in (
        raw.hex(),  # openssl rand -hex 32, secrets.token_hex(32)
        base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),  # secrets.token_urlsafe(32)
        base64.b64encode(raw).decode(),  # openssl rand -base64 32
    ):
        assert estimate_key_bits(text.encode()) >= 128, text
    assert estimate_key_bits(raw) >= 128, raw.hex()


def test_generated_keys_pass_from_the_environment_and_from_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = {
        "token_hex": secrets.token_hex(32),
        "token_urlsafe": secrets.token_urlsafe(32),
    }
    if shutil.which("openssl"):
        openssl = subprocess.run(
            ["openssl", "rand", "-hex", "32"], capture_output=True, text=True, check=True
        )
        keys["openssl"] = openssl.stdout.strip()
    for name, key in keys.items():
        monkeypatch.setenv(TEST_ENV, key)
        assert load_key(TEST_ENV) == key.encode(), name
        monkeypatch.delenv(TEST_ENV)
        path = _key_file(tmp_path / f"{name}.key", key + "\n")
        assert load_key(TEST_ENV, path) == key.encode(), name
    # 32 random bytes in a file are the key as they are, even when the last byte is a newline.
    for raw in (secrets.token_bytes(32), secrets.token_bytes(31) + b"\n"):
        assert load_key(TEST_ENV, _key_file(tmp_path / "raw.key", raw)) == raw


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("f" * 31, KEY_TOO_SHORT.format(source="{source}", length=31)),
        (secrets.token_hex(2049), KEY_TOO_LONG),
    ],
    ids=["too-short", "longer-than-4096-bytes"],
)
def test_key_length_bounds(key: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_ENV, key)
    expected = message.format(source=f"the pseudonymization key in ${TEST_ENV}")
    with pytest.raises(InputError, match=f"^{re.escape(expected)}$"):
        load_key(TEST_ENV)


def test_the_estimators_examples_hold() -> None:
    assert doctest.testmod(secret_keys).failed == 0


# -- 2. key files like OpenSSH ----------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666, 0o610])
def test_a_key_file_others_can_open_is_refused_with_the_chmod_to_run(
    mode: int, tmp_path: Path, strong_key: str
) -> None:
    path = _key_file(tmp_path / "my key", strong_key, mode)
    message = KEY_FILE_OPEN.format(file=_file_label(path), mode=mode, path=f"'{path}'")
    assert f"run: chmod 600 '{path}'" in message
    with pytest.raises(InputError, match=f"^{re.escape(message)}$") as refused:
        load_key(TEST_ENV, path)
    assert strong_key not in str(refused.value)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_key_file_only_its_owner_can_read_is_used(
    mode: int, tmp_path: Path, strong_key: str
) -> None:
    assert load_key(TEST_ENV, _key_file(tmp_path / "key", strong_key, mode)) == strong_key.encode()


def test_a_symlink_to_a_private_key_file_is_followed(tmp_path: Path, strong_key: str) -> None:
    # Kubernetes mounts secrets as symbolic links; the mode that counts is the target's.
    target = _key_file(tmp_path / "..data" / "key", strong_key)
    (tmp_path / "key").symlink_to(target)
    assert load_key(TEST_ENV, tmp_path / "key") == strong_key.encode()
    target.chmod(0o644)
    with pytest.raises(InputError, match="run: chmod 600"):
        load_key(TEST_ENV, tmp_path / "key")


def _never_blocks(call: Callable[[], object]) -> BaseException | None:
    """Run ``call`` in a thread; fail the test if it has not returned within 10 seconds."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as error:  # handed back to the test
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert outcome, "reading the key file blocked"
    return outcome[0]


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_key_file_that_is_not_a_regular_file_is_refused_without_blocking(
    kind: str, tmp_path: Path
) -> None:
    path = tmp_path / "key"
    if kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(path, 0o600)  # nobody ever writes to it: a blocking open would hang here
    error = _never_blocks(lambda: load_key(TEST_ENV, path))
    assert isinstance(error, InputError)
    assert str(error) == KEY_FILE_NOT_REGULAR.format(file=_file_label(path))


def test_key_file_contents_that_are_not_a_key(tmp_path: Path) -> None:
    passwd = "".join(f"user{i}:x:{1000 + i}:{1000 + i}::/home/user{i}:/bin/sh\n" for i in range(3))
    cases = {
        "missing": (None, KEY_FILE_MISSING),
        "empty": (b"", KEY_FILE_EMPTY),
        "one newline": (b"\n", KEY_FILE_EMPTY),
        "document": (passwd.encode(), KEY_FILE_DOCUMENT),
        "too large": (secrets.token_hex(2049).encode(), KEY_FILE_TOO_LARGE),
    }
    for name, (content, template) in cases.items():
        path = tmp_path / name
        if content is not None:
            _key_file(path, content)
        expected = template.format(file=_file_label(path), path=shlex.quote(str(path)), lines=3)
        with pytest.raises(InputError, match=f"^{re.escape(expected)}$"):
            load_key(TEST_ENV, path)


def test_a_file_that_holds_no_key_is_refused_as_such_not_sent_to_chmod(tmp_path: Path) -> None:
    # Like /etc/hostname: short, world-readable. Telling the user to chmod it would be wrong.
    path = _key_file(tmp_path / "hostname", "build-host-7\n", 0o644)
    expected = KEY_TOO_SHORT.format(source=_file_label(path), length=12)
    with pytest.raises(InputError, match=f"^{re.escape(expected)}$"):
        load_key(TEST_ENV, path)


def test_only_one_trailing_newline_is_stripped(tmp_path: Path, strong_key: str) -> None:
    for ending in ("\n", "\r\n"):
        path = _key_file(tmp_path / "key", strong_key + ending)
        assert load_key(TEST_ENV, path) == strong_key.encode()
    # A second newline is part of the key: another key, so another key id.
    path = _key_file(tmp_path / "key", strong_key + "\n\n")
    assert key_id(load_key(TEST_ENV, path)) != key_id(strong_key.encode())


# -- 3. key sources a policy may not name -----------------------------------------------------


@pytest.mark.parametrize("variable", ["PATH", "HOME", "AWS_SECRET_ACCESS_KEY", "SSH_AUTH_SOCK"])
@pytest.mark.parametrize("where", ["privacy", "transform"])
def test_a_policy_cannot_make_another_variable_the_key(
    variable: str, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The variable holds a strong value, so only the source rule stands between it and the key.
    value = secrets.token_hex(32)
    monkeypatch.setenv(variable, value)
    line = f"  key_env: {variable}\n"
    policy = (
        _policy(tmp_path / "p", privacy_lines=line)
        if where == "privacy"
        else _policy(tmp_path / "p", transform_lines=f"    columns: [person_id]\n  {line}")
    )
    out = tmp_path / "people.csv"
    _assert_refused(_anonymize(policy, out), POLICY_KEY_ENV.format(name=variable), value)
    assert not out.exists()


def test_key_env_on_the_command_line_allows_and_selects_that_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strong_key: str
) -> None:
    monkeypatch.setenv("MY_TEAM_KEY", strong_key)
    named = _policy(tmp_path / "named", privacy_lines="  key_env: MY_TEAM_KEY\n")
    for policy in (named, GDPR):  # the policy names the variable, or only the default one
        out = tmp_path / f"{policy.parent.name}.csv"
        report = tmp_path / "report.json"
        code, _, err = _anonymize(policy, out, "--key-env", "MY_TEAM_KEY", "--report", str(report))
        assert code == 0, err
        notes = json.loads(report.read_text())["data_notes"]
        assert f"pseudonymization key id: {key_id(strong_key.encode())}" in notes
    # Allowing one variable does not allow another.
    other = _policy(tmp_path / "other", privacy_lines="  key_env: PATH\n")
    message = POLICY_KEY_ENV.format(name="PATH")
    _assert_refused(_anonymize(other, tmp_path / "o.csv", "--key-env", "MY_TEAM_KEY"), message)


def test_a_key_written_into_key_env_is_not_repeated(tmp_path: Path, strong_key: str) -> None:
    for mistaken in (strong_key, strong_key.upper(), secrets.token_urlsafe(32)):
        policy = _policy(tmp_path / "p", privacy_lines=f"  key_env: '{mistaken}'\n")
        _assert_refused(_anonymize(policy, tmp_path / "o.csv"), POLICY_KEY_ENV_IS_A_KEY, mistaken)


def test_a_policy_cannot_make_a_file_outside_its_folder_the_key(
    tmp_path: Path, strong_key: str
) -> None:
    outside = _key_file(tmp_path / "elsewhere" / "key", strong_key)  # strong and private
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "link").symlink_to(outside)
    for named in ("/etc/passwd", str(outside), "../elsewhere/key", "link"):
        policy = _policy(folder, privacy_lines=f"  key_file: {named}\n")
        message = POLICY_KEY_FILE_OUTSIDE.format(path=named, folder=folder.resolve())
        _assert_refused(_anonymize(policy, tmp_path / "o.csv"), message, strong_key)
    assert not (tmp_path / "o.csv").exists()
    # The user may give that very file on the command line: then it is the user's choice.
    code, _, err = _anonymize(policy, tmp_path / "o.csv", "--key-file", str(outside))
    assert code == 0, err


def test_a_key_file_in_the_policys_folder_is_used(tmp_path: Path, strong_key: str) -> None:
    folder = tmp_path / "policy"
    _key_file(folder / "keys" / "release.key", strong_key + "\n")
    policy = _policy(folder, privacy_lines="  key_file: keys/release.key\n")
    out, report = tmp_path / "people.csv", tmp_path / "report.json"
    code, _, err = _anonymize(policy, out, "--report", str(report))
    assert code == 0, err
    notes = json.loads(report.read_text())["data_notes"]
    assert f"pseudonymization key id: {key_id(strong_key.encode())}" in notes
    # ... and refused, with the chmod to run, once others can read it.
    (folder / "keys" / "release.key").chmod(0o644)
    path = (folder / "keys" / "release.key").resolve()
    message = KEY_FILE_OPEN.format(file=_file_label(path), mode=0o644, path=path)
    _assert_refused(_anonymize(policy, tmp_path / "again.csv"), message, strong_key)


def test_key_file_on_the_command_line_may_be_anywhere(tmp_path: Path, strong_key: str) -> None:
    path = _key_file(tmp_path / "secrets" / "rai.key", strong_key)
    out = tmp_path / "out" / "people.csv"
    code, _, err = _anonymize(GDPR, out, "--key-file", str(path))
    assert code == 0, err
    assert out.exists()


def test_in_python_a_policy_dict_names_no_key_file_but_code_may(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strong_key: str
) -> None:
    path = _key_file(tmp_path / "key", strong_key)
    policy = policy_from_dict(
        {
            "name": "dict",
            "privacy": {"key_file": str(path)},
            "transforms": [{"kind": "pseudonymize", "columns": ["email"]}],
        }
    )
    frame = pd.DataFrame({"email": ["ann@example.org"]})
    message = POLICY_KEY_FILE_WITHOUT_FOLDER.format(path=path)
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        anonymize(frame, policy)
    assert anonymize(frame, policy, key_file=str(path)).key_ids == [key_id(strong_key.encode())]
    # A transformer built in code is the user's own: any variable or file it names is used.
    monkeypatch.setenv("ANY_NAME_I_CHOOSE", strong_key)
    assert Pseudonymizer(key_env="ANY_NAME_I_CHOOSE").fit(frame).key_id_ == key_id(
        strong_key.encode()
    )
    assert Pseudonymizer(key_file=str(path)).fit(frame).key_id_ == key_id(strong_key.encode())
    # ... but the key itself must still be a key.
    monkeypatch.setenv("ANY_NAME_I_CHOOSE", "k" * 32)
    with pytest.raises(InputError, match="too easy to guess"):
        Pseudonymizer(key_env="ANY_NAME_I_CHOOSE").fit(frame)


# -- 4. never print a secret ------------------------------------------------------------------


def test_a_release_writes_the_key_nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "f00dfeed" + secrets.token_hex(28)  # recognisable, and random enough to be used
    monkeypatch.setenv(ENV, key)
    written: list[Path] = []
    for suffix in (".json", ".md", ".txt", ".xml"):
        out, report = tmp_path / f"people{suffix}.parquet", tmp_path / f"report{suffix}"
        code, stdout, stderr = _anonymize(GDPR, out, "--report", str(report))
        assert code == 0, stderr
        assert key not in stdout and key not in stderr
        written += [out, report]
    for path in written:
        content = path.read_bytes()
        assert key.encode() not in content and bytes.fromhex(key) not in content, path


def test_no_refusal_prints_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    strong = "f00dfeed" + secrets.token_hex(28)
    weak = "SECRET-" * 6
    folder = tmp_path / "policy"
    cases: list[tuple[dict[str, str], Path, list[str]]] = [
        ({ENV: weak}, GDPR, []),
        ({ENV: strong[:31]}, GDPR, []),
        ({"PATH": strong}, _policy(folder / "env", "  key_env: PATH\n"), []),
        ({}, _policy(folder / "is-a-key", f"  key_env: {strong}\n"), []),
        ({}, GDPR, ["--key-file", str(_key_file(tmp_path / "open.key", strong, 0o644))]),
        ({}, GDPR, ["--key-file", str(_key_file(tmp_path / "weak.key", weak))]),
        ({}, GDPR, ["--key-file", str(_key_file(tmp_path / "long.key", strong * 80))]),
        ({}, GDPR, ["--key-file", str(_key_file(tmp_path / "two.key", f"{strong}\n{weak}\n"))]),
        ({}, _policy(folder / "outside", f"  key_file: {tmp_path / 'open.key'}\n"), []),
    ]
    for environment, policy, extra in cases:
        with monkeypatch.context() as patch:
            for name, value in environment.items():
                patch.setenv(name, value)
            report = tmp_path / "report.json"
            code, stdout, stderr = _anonymize(
                policy, tmp_path / "o.csv", "--report", str(report), *extra
            )
        assert code == 2, (environment, extra, stderr)
        assert stderr.startswith("rai: error: ") and stderr.count("\n") == 1
        for secret in (strong, strong[:31], weak):
            assert secret not in stdout and secret not in stderr, (environment, extra)
        assert not report.exists() and not (tmp_path / "o.csv").exists()
