"""A policy named by its pack (``--policy eeoc-four-fifths``) works from any directory."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from responsible_ai import audit
from responsible_ai.cli import main
from responsible_ai.errors import PolicyError
from responsible_ai.policy.loader import load_policy
from responsible_ai.policy.packs import NO_SUCH_PACK, pack_names, resolve_policy_path
from responsible_ai.policy.reading import NOT_FOUND
from responsible_ai.resources import shipped_policies_dir

PACKS = [
    "dp-release",
    "eeoc-four-fifths",
    "gdpr-pseudonymisation",
    "german-credit-lending",
    "k-anonymous-release",
    "model-security",
    "monitoring",
    "nyc-ll144-bias-audit",
]

LOCAL_POLICY = """\
name: my-local-screen
version: "0.1"
data: {target: credit, positive_label: good, sensitive: [sex]}
checks:
  - id: local-ratio
    metric: fairness.selection_rate_ratio
    must: ">= 0.5"
"""


def rai(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in-process in ``cwd`` (the pattern of tests/cli/test_cli_check.py)."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory outside the checkout, with no policies/ beside it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_shipped_pack_is_listed_by_name() -> None:
    assert pack_names() == PACKS


@pytest.mark.parametrize("name", ["eeoc-four-fifths", "eeoc-four-fifths.yaml"])
def test_a_pack_name_loads_the_shipped_pack(elsewhere: Path, name: str) -> None:
    loaded = load_policy(name)
    assert loaded.policy.name == "eeoc-four-fifths"
    assert loaded.path == shipped_policies_dir() / "eeoc-four-fifths.yaml"


def test_a_pack_that_extends_another_pack_loads_by_name(elsewhere: Path) -> None:
    loaded = load_policy("german-credit-lending")
    assert [Path(f["path"]).name for f in loaded.files] == [
        "german-credit-lending.yaml",
        "eeoc-four-fifths.yaml",
    ]


def test_a_local_file_wins_over_the_pack_of_the_same_name(elsewhere: Path) -> None:
    (elsewhere / "eeoc-four-fifths.yaml").write_text(LOCAL_POLICY, encoding="utf-8")
    assert load_policy("eeoc-four-fifths.yaml").policy.name == "my-local-screen"
    # without the suffix no local file matches: the name is the pack's
    assert load_policy("eeoc-four-fifths").policy.name == "eeoc-four-fifths"


def test_an_unknown_name_lists_the_packs(elsewhere: Path) -> None:
    message = NO_SUCH_PACK.format(packs=", ".join(PACKS))
    with pytest.raises(PolicyError, match=re.escape(f"eeoc-four-fifth: {message}")):
        load_policy("eeoc-four-fifth")


@pytest.mark.parametrize(
    "name", ["sub/eeoc-four-fifths.yaml", "../policies/eeoc-four-fifths.yaml", "./eeoc-four-fifths"]
)
def test_a_name_with_a_folder_never_reaches_the_packs(elsewhere: Path, name: str) -> None:
    assert resolve_policy_path(name) == Path(name)
    with pytest.raises(PolicyError, match=re.escape(f"{Path(name)}: {NOT_FOUND}")):
        load_policy(name)


def test_edited_text_is_never_swapped_for_a_pack(elsewhere: Path) -> None:
    loaded = load_policy("eeoc-four-fifths.yaml", text=LOCAL_POLICY)
    assert loaded.policy.name == "my-local-screen"
    assert loaded.path == Path("eeoc-four-fifths.yaml")


def test_rai_check_and_validate_take_a_pack_name(elsewhere: Path, german_csv: Path) -> None:
    result = rai(
        "check",
        str(german_csv),
        "--policy",
        "eeoc-four-fifths",
        "--prediction",
        "credit",
        "--positive-label",
        "good",
        "--sensitive",
        "sex",
        "--format",
        "json",
        cwd=elsewhere,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["policy"]["name"] == "eeoc-four-fifths"
    assert Path(report["inputs"]["policy"]["path"]) == shipped_policies_dir() / (
        "eeoc-four-fifths.yaml"
    )
    result = rai("policy", "validate", "german-credit-lending", "nope", cwd=elsewhere)
    assert result.returncode == 2
    assert result.stdout == "ok: german-credit-lending\n"
    assert result.stderr.startswith(f"nope: {NO_SUCH_PACK.format(packs=', '.join(PACKS))}\n")


def test_the_notebook_api_takes_a_pack_name(elsewhere: Path) -> None:
    from responsible_ai.datasets import load_german_credit

    german = load_german_credit()
    report = audit(
        german.data,
        "eeoc-four-fifths",
        prediction="credit",
        positive_label="good",
        sensitive=["sex"],
    )
    assert report.passed
