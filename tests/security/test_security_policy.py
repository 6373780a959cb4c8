"""Attacks through a policy file: exhaust memory, crash the loader, build objects, read other files,
or pass a model by checking nothing. Each must end in exit 2 with one line, fast."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from responsible_ai import audit
from responsible_ai.cli import main
from responsible_ai.errors import PolicyError
from responsible_ai.policy import extends as extends_rules
from responsible_ai.policy import load_policy, reading
from responsible_ai.policy.loader import NOTHING_CHECKED

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
name: lending
data:
  target: credit
  positive_label: good
  sensitive: [sex]
checks:
  - id: four-fifths
    metric: fairness.selection_rate_ratio
    by: sex
    must: ">= 0.8"
"""

# nine levels of nine aliases each: a billion "lol"s once expanded
ALIAS_BOMB = (
    "name: bomb\n"
    + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + level)}: &{chr(98 + level)} [{', '.join([f'*{chr(97 + level)}'] * 9)}]\n"
        for level in range(8)
    )
    + "checks: *i\n"
)
SECRET = "hunter2-do-not-print"


def rai(*args: str, cwd: Path) -> tuple[int, str, str]:
    """The CLI in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def write(folder: Path, text: str | bytes, name: str = "policy.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def refusal(path: Path, **options: object) -> str:
    """The one problem load_policy reports for ``path``."""
    with pytest.raises(PolicyError) as caught:
        load_policy(path, **options)  # type: ignore[arg-type]
    (issue,) = caught.value.issues
    return str(issue)


@pytest.fixture(scope="module")
def decisions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = ["sex,credit,pred"] + [
        f"{sex},{credit},{pred}"
        for sex in ("female", "male")
        for credit in ("good", "bad")
        for pred in ("good", "bad")
    ]
    path = tmp_path_factory.mktemp("data") / "decisions.csv"
    path.write_text("\n".join(rows * 5) + "\n")
    return path


def check_exit(policy: Path, decisions: Path, *extra: str) -> tuple[int, str]:
    code, _, err = rai(
        "check", str(decisions), "--policy", str(policy), "--prediction", "pred", *extra,
        cwd=policy.parent,
    )  # fmt: skip
    return code, err


# --- bounded YAML -------------------------------------------------------------------------------


def test_alias_bomb_fails_fast_in_little_memory(tmp_path: Path, decisions: Path) -> None:
    path = write(tmp_path, ALIAS_BOMB)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = refusal(path)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message == f"{path}:2: {reading.ALIAS}"
    assert elapsed < 1.0 and peak < 50 * 2**20, (elapsed, peak)
    code, err = check_exit(path, decisions)
    assert code == 2 and err == f"rai: error: policy invalid: {path}:2: {reading.ALIAS}\n"


def test_even_one_harmless_alias_is_refused(tmp_path: Path) -> None:
    # the documented choice: no anchors at all (reuse is what `extends` is for)
    text = GOOD.replace("  sensitive: [sex]", "  sensitive: &s [sex]\n  features: *s")
    assert refusal(write(tmp_path, text)) == f"{tmp_path / 'policy.yaml'}:5: {reading.ALIAS}"


@pytest.mark.parametrize(
    ("nesting", "line"),
    [
        ("checks: " + "[" * 10_000 + "]" * 10_000, 2),
        ("checks: " + "{a: " * 10_000 + "1" + "}" * 10_000, 2),
        ("checks:\n" + "".join(" " * level + "- \n" for level in range(1, 200)), 66),
        ("".join(" " * level + "a:\n" for level in range(200)), 65),
    ],
    ids=["flow-lists", "flow-mappings", "block-lists", "block-mappings"],
)
def test_deep_nesting_is_refused_with_its_line(
    tmp_path: Path, decisions: Path, nesting: str, line: int
) -> None:
    path = write(tmp_path, "name: deep\n" + nesting + "\n")
    started = time.perf_counter()
    message = refusal(path)
    assert time.perf_counter() - started < 1.0
    too_deep = reading.TOO_DEEP.format(limit=reading.MAX_POLICY_DEPTH)
    assert message == f"{path}:{line}: {too_deep}"
    code, err = check_exit(path, decisions)
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1


def _deep_list(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


def _holds_itself() -> dict[str, object]:
    loop: dict[str, object] = {"id": "c"}
    loop["params"] = loop
    return loop


@pytest.mark.parametrize(
    ("checks", "limit"),
    [
        (_deep_list(100_000), reading.TOO_DEEP.format(limit=reading.MAX_POLICY_DEPTH)),
        ([_holds_itself()], reading.TOO_DEEP.format(limit=reading.MAX_POLICY_DEPTH)),
        ([1] * 5_000_000, reading.TOO_MANY_NODES.format(limit=reading.MAX_POLICY_NODES)),
    ],
    ids=["deep-list", "holds-itself", "huge-list"],
)
def test_a_policy_dict_has_the_same_bounds(decisions: Path, checks: object, limit: str) -> None:
    policy = {"name": "deep", "checks": checks}
    started = time.perf_counter()
    with pytest.raises(PolicyError, match=f"^policy invalid: <dict>: {re.escape(limit)}$"):
        audit(decisions, policy, prediction="pred", sensitive=["sex"])
    assert time.perf_counter() - started < 1.0


def test_nesting_a_policy_needs_is_allowed(tmp_path: Path) -> None:
    nested = "x: " + "{a: " * 40 + "1" + "}" * 40
    text = GOOD + "    params:\n      " + nested + "\n"
    message = refusal(write(tmp_path, text))
    assert "checks[0].params.x: unknown key" in message  # parsed, then judged by the schema


def test_huge_file_is_refused_without_reading_it_whole(tmp_path: Path, decisions: Path) -> None:
    path = tmp_path / "policy.yaml"
    with path.open("wb") as handle:
        handle.write(GOOD.encode() + b"# padding\n" * 100)
        handle.truncate(512 * 2**20)  # sparse: 512 MiB of NUL bytes after the text
    tracemalloc.start()
    try:
        message = refusal(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    too_large = reading.TOO_LARGE.format(limit=reading.MAX_POLICY_BYTES)
    assert message == f"{path}:111: {too_large}"
    assert peak < 4 * reading.MAX_POLICY_BYTES
    assert check_exit(path, decisions)[0] == 2


def test_too_many_nodes_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "name: wide\nchecks: [" + ", ".join(["1"] * 20_000) + "]\n")
    too_many = reading.TOO_MANY_NODES.format(limit=reading.MAX_POLICY_NODES)
    assert refusal(path) == f"{path}:2: {too_many}"


@pytest.mark.parametrize(
    "tagged",
    [
        "name: !!python/object/apply:builtins.open ['{marker}', 'w']",
        "name: !!python/object/new:builtins.open ['{marker}', 'w']",
        "name: !!python/name:os.system",
        "? !!python/object/apply:builtins.open ['{marker}', 'w']\n: 1",
        "name: !!binary aGVsbG8=",
        "name: !custom x",
    ],
)
def test_tags_never_build_objects(tmp_path: Path, decisions: Path, tagged: str) -> None:
    marker = tmp_path / "payload-ran"
    path = write(tmp_path / "p", tagged.format(marker=marker) + "\nchecks: []\n")
    assert refusal(path) == f"{path}:1: {reading.TAG}"
    assert check_exit(path, decisions)[0] == 2
    assert not marker.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", f"1: {reading.EMPTY}"),
        (b"  \n\n# only a comment\n", f"1: {reading.EMPTY}"),
        (b"name: x\n\x00\x01\x02\x03", f"2: {reading.BINARY}"),
        (b"name: x\nchecks: \xff\xfe\n", f"2: {reading.NOT_UTF8.format(line=2)}"),
        (b"name: \x1b[31mred\x1b[0m\n", f"1: {reading.CONTROL_CHARACTER.format(code=0x1B)}"),
        (b"- a\n- list\n", f"1: {reading.NOT_A_MAPPING.format(kind='a list')}"),
    ],
    ids=["empty", "blank", "binary", "not-utf8", "ansi-escape", "a-list"],
)
def test_files_that_are_not_text_policies(
    tmp_path: Path, decisions: Path, content: bytes, expected: str
) -> None:
    path = write(tmp_path, content)
    assert refusal(path) == f"{path}:{expected}"
    code, err = check_exit(path, decisions)
    assert code == 2 and err == f"rai: error: policy invalid: {path}:{expected}\n"


def test_a_directory_as_policy(tmp_path: Path, decisions: Path) -> None:
    (tmp_path / "policies").mkdir()
    code, err = check_exit(tmp_path / "policies", decisions)
    assert code == 2
    assert err == f"rai: error: policy invalid: {tmp_path / 'policies'}: {reading.IS_DIRECTORY}\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_policy_is_refused_without_blocking(tmp_path: Path, decisions: Path) -> None:
    fifo = tmp_path / "policy.yaml"
    os.mkfifo(fifo)
    (tmp_path / "link.yaml").symlink_to(fifo)
    link = tmp_path / "link.yaml"
    runs = [
        (
            ["check", str(decisions), "--policy", str(fifo), "--prediction", "pred"],
            f"rai: error: policy invalid: {fifo}: {reading.NOT_REGULAR}\n",
        ),
        (
            ["policy", "validate", str(link)],
            f"{link}: {reading.NOT_REGULAR}\nrai: error: 1 problem found\n",
        ),
    ]
    for command, expected in runs:
        # a real process with a timeout: a loader that opened the FIFO would hang forever
        result = subprocess.run(
            [sys.executable, "-m", "responsible_ai.cli", *command],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert (result.returncode, result.stderr) == (2, expected)
    assert refusal(fifo) == f"{fifo}: {reading.NOT_REGULAR}"


# --- extends stays home -------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """tmp/home/policies holds the policy; tmp/home/secret.yaml and tmp/elsewhere are outside."""
    policies = tmp_path / "home" / "policies"
    policies.mkdir(parents=True)
    write(tmp_path / "home", f"password: {SECRET}\ntoken: {SECRET}\n", "secret.yaml")
    write(tmp_path / "elsewhere", GOOD, "base.yaml")
    return policies


def child(folder: Path, base: str) -> Path:
    return write(folder, f"name: child\nextends: {base}\n")


@pytest.mark.parametrize(
    "base",
    [
        "/etc/passwd",
        "../secret.yaml",
        "../../elsewhere/base.yaml",
        "../../elsewhere/missing.yaml",  # outside and missing: the same refusal, no oracle
        "sub/../../secret.yaml",
    ],
)
def test_extends_outside_the_policy_folder_is_refused(
    home: Path, decisions: Path, base: str
) -> None:
    path = child(home, base)
    outside = extends_rules.OUTSIDE.format(target=base, home=home)
    assert refusal(path) == f"{path}:2: extends: {outside}"
    code, err = check_exit(path, decisions)
    assert code == 2 and SECRET not in err and "root:" not in err


def test_a_symlink_escaping_the_folder_is_refused(home: Path) -> None:
    (home / "base.yaml").symlink_to(home.parent / "secret.yaml")
    (home / "shared").symlink_to(home.parent.parent / "elsewhere", target_is_directory=True)
    for base in ("base.yaml", "shared/base.yaml"):
        path = child(home, base)
        outside = extends_rules.OUTSIDE.format(target=base, home=home)
        assert refusal(path) == f"{path}:2: extends: {outside}"


def test_a_subfolder_and_an_allowed_folder_may_be_extended(home: Path, decisions: Path) -> None:
    write(home / "base", GOOD, "lending.yaml")
    assert [c.id for c in load_policy(child(home, "base/lending.yaml")).policy.checks] == [
        "four-fifths"
    ]
    elsewhere = home.parent.parent / "elsewhere"
    path = child(home, "../../elsewhere/base.yaml")
    loaded = load_policy(path, allow_extends_path=[elsewhere])
    assert [c.id for c in loaded.policy.checks] == ["four-fifths"]
    code, err = check_exit(path, decisions, "--allow-extends-path", str(elsewhere))
    assert code in (0, 1), err
    report = audit(decisions, path, prediction="pred", allow_extends_path=[elsewhere])
    assert [f.id for f in report.checks] == ["four-fifths"]


def test_a_file_that_is_not_a_policy_is_never_echoed(home: Path, decisions: Path) -> None:
    outside = home.parent
    path = child(home, "../secret.yaml")
    message = refusal(path, allow_extends_path=[outside])
    assert message == f"{outside / 'policies' / '..' / 'secret.yaml'}: {reading.NOT_A_POLICY}"
    passwd = write(outside, "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/bin/false\n")
    not_mapping = reading.NOT_A_MAPPING.format(kind="text")
    assert refusal(passwd) == f"{passwd}:1: {not_mapping}"
    for policy in (path, passwd):
        code, err = check_exit(policy, decisions, "--allow-extends-path", str(outside))
        assert code == 2 and SECRET not in err and "root:x" not in err


def test_shipped_pack_by_name_from_anywhere(tmp_path: Path, decisions: Path) -> None:
    path = child(tmp_path / "mine", "eeoc-four-fifths.yaml")
    loaded = load_policy(path)
    assert [c.id for c in loaded.policy.checks] == ["four-fifths-rule"]
    assert Path(loaded.files[1]["path"]) == ROOT / "policies" / "eeoc-four-fifths.yaml"
    # a file of that name beside the policy comes first
    write(tmp_path / "mine", GOOD, "eeoc-four-fifths.yaml")
    assert [c.id for c in load_policy(path).policy.checks] == ["four-fifths"]


def test_extends_cycles_and_long_chains_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "name: a\nextends: b.yaml\n", "a.yaml")
    write(tmp_path, "name: b\nextends: a.yaml\n", "b.yaml")
    assert "extends itself" in refusal(tmp_path / "a.yaml")
    me = write(tmp_path, "name: me\nextends: me.yaml\n", "me.yaml")
    assert "extends itself" in refusal(me)
    write(tmp_path, GOOD, "p0.yaml")
    for index in range(1, 12):
        write(tmp_path, f"name: p{index}\nextends: p{index - 1}.yaml\n", f"p{index}.yaml")
    too_long = extends_rules.TOO_LONG.format(limit=extends_rules.MAX_EXTENDS_CHAIN)
    assert refusal(tmp_path / "p11.yaml").endswith(f"extends: {too_long}")
    assert load_policy(tmp_path / "p5.yaml").policy.name == "p5"


@pytest.mark.parametrize("base", ['""', "3", "[a.yaml]", "{a: 1}", '"\\e[2Ja.yaml"', '"a\\nb"'])
def test_extends_that_is_not_a_file_name(tmp_path: Path, base: str) -> None:
    path = child(tmp_path, base)
    assert refusal(path) == f"{path}:2: extends: {extends_rules.NOT_A_PATH}"


@pytest.mark.parametrize("base", ["x" * 300 + ".yaml", "x/" * 3000 + "a.yaml", "loop.yaml"])
def test_extends_that_cannot_be_resolved(tmp_path: Path, decisions: Path, base: str) -> None:
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    path = child(tmp_path, base)
    assert refusal(path).startswith(f"{path}:2: extends: cannot resolve the base policy")
    code, err = check_exit(path, decisions)
    assert code == 2 and err.count("\n") == 1


# --- a policy must check something ----------------------------------------------------------------


def all_off(folder: Path) -> Path:
    text = "name: all-off\nextends: eeoc-four-fifths.yaml\nchecks:\n"
    return write(folder, text + "  - id: four-fifths-rule\n    enabled: false\n")


@pytest.mark.parametrize("make", ["no-checks", "all-disabled", "dict", "dict-disabled"])
def test_a_policy_that_checks_nothing_is_refused(
    tmp_path: Path, decisions: Path, make: str
) -> None:
    if make == "no-checks":
        policy: object = write(tmp_path, "name: empty\ndata:\n  positive_label: good\n")
        name = "empty"
    elif make == "all-disabled":
        policy, name = all_off(tmp_path), "all-off"
    else:
        check = {"id": "c", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"}
        checks = [{**check, "enabled": False}] if make == "dict-disabled" else []
        policy, name = {"name": "d", "data": {"positive_label": "good"}, "checks": checks}, "d"
    message = NOTHING_CHECKED.format(name=name)
    with pytest.raises(PolicyError, match=r"^policy invalid: .* nothing would be checked: ") as err:
        audit(decisions, policy, prediction="pred", sensitive=["sex"])  # type: ignore[arg-type]
    assert err.value.issues[0].message == message
    if isinstance(policy, Path):
        code, err = check_exit(policy, decisions, "--sensitive", "sex")
        assert code == 2 and err == f"rai: error: policy invalid: {policy}: checks: {message}\n"
        code, out, err = rai("policy", "validate", str(policy), cwd=tmp_path)
        assert code == 2 and "ok:" not in out and message in err


# --- the app's policy editor ----------------------------------------------------------------------


def test_app_policy_editor_refuses_a_bomb_and_a_policy_that_checks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RAI_STORE_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    monkeypatch.setenv("RAI_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=180)
    at.run()
    at.switch_page("views/policy.py")
    at.run()
    assert not at.exception
    for text, expected in [
        (ALIAS_BOMB, "YAML anchors and aliases"),
        ("name: nothing\ndata:\n  positive_label: good\n", "nothing would be checked"),
    ]:
        started = time.perf_counter()
        at.text_area[0].input(text).run()
        assert time.perf_counter() - started < 30
        assert not at.exception
        errors = " ".join(str(e.value) for e in at.error)
        assert expected in errors.replace("\\", "")
        assert "The policy is valid." not in [str(s.value) for s in at.success]
        assert at.button(key="rerun").disabled
