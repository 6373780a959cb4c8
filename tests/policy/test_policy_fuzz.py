"""Hypothesis fuzzing of the policy loader: any text, bytes or document is a policy or a
PolicyError, and through the CLI it is exit 0, 1 or 2 with no traceback, never exit 3."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from responsible_ai.cli import main
from responsible_ai.errors import RAIError
from responsible_ai.policy import load_policy, policy_from_dict

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

# YAML syntax and policy words, so that random text often gets past the scanner
TOKENS = [
    *"abc :-[]{}&*!#|>'\",?%@`\\\t\n01.",
    "\n",
    "\n  ",
    "\n    ",
    "- ",
    ": ",
    "name: p\n",
    "checks:\n",
    "  - id: c\n",
    "    metric: fairness.selection_rate_ratio\n",
    '    must: ">= 0.8"\n',
    "    enabled: false\n",
    "    by: sex\n",
    "    params: {}\n",
    "extends: base.yaml\n",
    "extends: ../outside.yaml\n",
    "extends: /nowhere/x.yaml\n",
    "extends: eeoc-four-fifths.yaml\n",
    "extends: policy.yaml\n",
    "data:\n  sensitive: [sex]\n  positive_label: good\n",
    "fail_on: high\n",
    "!!python/object/apply:os.system ",
    "!!binary ",
    "!!str ",
    "&a ",
    "*a",
    "<<: ",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "\x1b",
    "\x00",
    "\u2028",
    "é",
]
yaml_like_text = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)

KEYS = [
    "name",
    "version",
    "extends",
    "data",
    "fail_on",
    "seed",
    "checks",
    "id",
    "metric",
    "must",
    "by",
    "params",
    "enabled",
    "severity",
    "sensitive",
    "positive_label",
    "target",
    "fairness",
    "privacy",
    "transforms",
    "release",
    "explain",
    "x",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "p",
            "sex",
            "good",
            ">= 0.8",
            "<= nan",
            "fairness.selection_rate_ratio",
            "fairness.demographic_parity_difference",
            "privacy.k_anonymity",
            "eeoc-four-fifths.yaml",
            "base.yaml",
            "../x.yaml",
            "high",
            "",
        ]
    ),
    st.text(max_size=8),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    ),
    max_leaves=12,
)
VALID = (
    "name: p\nextends: base.yaml\ndata:\n  target: credit\n  positive_label: good\n"
    "checks:\n  - id: c\n    must: '>= 0.5'\n  - id: d\n    metric: "
    "fairness.demographic_parity_difference\n    by: sex\n    must: '<= 0.2'\n"
)


@st.composite
def mutated_policies(draw: st.DrawFn) -> str:
    """A valid policy with a few tokens inserted or a span deleted: past the scanner, into the
    schema, merge and checker."""
    text = VALID
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
    return text


@st.composite
def deeply_nested(draw: st.DrawFn) -> str:
    """Flow or block nesting up to 2,000 levels deep (PyYAML's composer recurses per level)."""
    depth = draw(st.integers(1, 2000))
    opening, closing = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("- ", "")]))
    return "name: p\nchecks: " + opening * depth + "1" + closing * depth + "\n"


policy_dicts = st.dictionaries(st.sampled_from(KEYS), documents, max_size=6)

BASE = "name: base\ndata:\n  sensitive: [sex]\nchecks:\n  - id: c\n    metric: fairness.selection_rate_ratio\n    must: '>= 0.8'\n"  # noqa: E501


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A policy folder with a valid base policy, and a small decisions table beside it."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "base.yaml").write_text(BASE)
    rows = ["sex,credit,pred"] + [
        f"{sex},{credit},{pred}"
        for sex in ("female", "male")
        for credit in ("good", "bad")
        for pred in ("good", "bad")
    ]
    (root / "data.csv").write_text("\n".join(rows * 3) + "\n")
    return root


def rai(*args: str, cwd: Path) -> tuple[int, str]:
    """The CLI in-process: exit code and stderr."""
    err = io.StringIO()
    out = contextlib.redirect_stdout(io.StringIO())
    with contextlib.chdir(cwd), out, contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, err.getvalue()


@contextlib.contextmanager
def policy_file(folder: Path, content: bytes) -> Iterator[Path]:
    path = folder / "policy.yaml"
    path.write_bytes(content)
    try:
        yield path
    finally:
        path.unlink()


def loads_or_refuses(path: Path) -> None:
    with contextlib.suppress(RAIError):
        load_policy(path)


def assert_clean_exit(code: int, stderr: str) -> None:
    assert code in (0, 1, 2), stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr


@FUZZ
@given(text=yaml_like_text | mutated_policies() | deeply_nested())
def test_random_yaml_text_loads_or_is_a_policy_error(folder: Path, text: str) -> None:
    with policy_file(folder, text.encode("utf-8", "surrogatepass")) as path:
        loads_or_refuses(path)


@FUZZ
@given(content=st.binary(max_size=200))
def test_random_bytes_load_or_are_a_policy_error(folder: Path, content: bytes) -> None:
    with policy_file(folder, content) as path:
        loads_or_refuses(path)


@settings(FUZZ, max_examples=80)
@given(data=policy_dicts)
def test_random_documents_load_or_are_a_policy_error(folder: Path, data: dict[str, Any]) -> None:
    with contextlib.suppress(RAIError):
        policy_from_dict(data)
    with policy_file(folder, yaml.safe_dump(data).encode()) as path:
        loads_or_refuses(path)


@settings(FUZZ, max_examples=60)
@given(
    text=yaml_like_text | mutated_policies() | deeply_nested() | policy_dicts.map(yaml.safe_dump)
)
def test_rai_policy_validate_exits_0_or_2_without_traceback(folder: Path, text: str) -> None:
    with policy_file(folder, text.encode("utf-8", "surrogatepass")):
        code, stderr = rai("policy", "validate", "policy.yaml", cwd=folder)
    assert_clean_exit(code, stderr)
    assert code != 1


@settings(FUZZ, max_examples=40)
@given(text=mutated_policies() | yaml_like_text | policy_dicts.map(yaml.safe_dump))
def test_rai_check_exits_0_1_or_2_without_traceback(folder: Path, text: str) -> None:
    with policy_file(folder, text.encode("utf-8", "surrogatepass")):
        code, stderr = rai(
            "check", "data.csv", "--policy", "policy.yaml", "--prediction", "pred", cwd=folder
        )
    assert_clean_exit(code, stderr)
