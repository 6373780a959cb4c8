"""`rai check` as a CI pipeline uses it: exit codes, one-line errors, atomic reports."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from responsible_ai.cli import main
from responsible_ai.report import report_json_schema

LENDING = "policies/german-credit-lending.yaml"


def rai(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in-process (fast); exit code, stdout and stderr as a subprocess would give."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def test_console_script_in_a_real_process(root: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "responsible_ai.cli",
            "check",
            "missing.csv",
            "--policy",
            LENDING,
            "--prediction",
            "credit",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == "rai: error: data file not found: missing.csv\n"


@pytest.fixture(scope="module")
def german_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from responsible_ai.reference_models import save_reference_model

    return save_reference_model("german_credit", tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def pickled_model(german_model: Path) -> Path:
    from responsible_ai.models import load_model

    path = german_model.with_suffix(".pkl")
    path.write_bytes(pickle.dumps(load_model(german_model)))
    return path


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("rai: error: ")
    return lines[0]


def test_check_with_the_reference_model_writes_a_valid_json_report(
    root: Path, german_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    result = rai(
        "check",
        "sample_data/german_credit.csv",
        "--policy",
        LENDING,
        "--model",
        str(german_model),
        "--output",
        str(out),
        cwd=root,
    )
    report = json.loads(out.read_text())
    jsonschema.validate(report, report_json_schema())
    assert result.returncode == (0 if report["verdict"] == "pass" else 1)
    assert report["inputs"]["model"]["sha256"] and report["inputs"]["data"]["sha256"]
    assert {c["id"] for c in report["checks"]} >= {
        "four-fifths-rule[sex]",
        "four-fifths-rule[age_group]",
    }
    assert f"wrote json report to {out}" in result.stdout


@pytest.mark.parametrize(
    ("fmt", "marker"), [("md", "# Audit: german-credit-lending"), ("junit", "<testsuites")]
)
def test_other_formats(root: Path, german_model: Path, fmt: str, marker: str) -> None:
    result = rai(
        "check",
        "sample_data/german_credit.csv",
        "--policy",
        LENDING,
        "--model",
        str(german_model),
        "--format",
        fmt,
        cwd=root,
    )
    assert result.returncode in (0, 1) and marker in result.stdout


def test_pickle_is_refused_without_opt_in(root: Path, pickled_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = rai(
        "check",
        "sample_data/german_credit.csv",
        "--policy",
        LENDING,
        "--model",
        str(pickled_model),
        "--output",
        str(out),
        cwd=root,
    )
    line = one_line_error(result)
    assert "is a pickle file: loading it runs whatever code its author put in it" in line
    assert "--trust-model" in line
    assert not out.exists()


def test_pickle_is_loaded_with_opt_in(root: Path, pickled_model: Path) -> None:
    result = rai(
        "check",
        "sample_data/german_credit.csv",
        "--policy",
        LENDING,
        "--model",
        str(pickled_model),
        "--trust-model",
        cwd=root,
    )
    assert result.returncode in (0, 1), result.stderr


def test_missing_column(root: Path) -> None:
    result = rai(
        "check",
        "sample_data/german_credit.csv",
        "--policy",
        LENDING,
        "--prediction",
        "decision",
        cwd=root,
    )
    assert "prediction column 'decision' is not in the data" in one_line_error(result)


def test_bad_policy_lists_every_problem_with_file_and_line(root: Path, tmp_path: Path) -> None:
    policy = tmp_path / "bad.yaml"
    policy.write_text(
        "name: x\nchecks:\n  - id: a\n    metric: fairness.parity\n    must: '>= 1'\n"
        "    severty: high\n"
    )
    result = rai(
        "check",
        "sample_data/german_credit.csv",
        "--policy",
        str(policy),
        "--prediction",
        "credit",
        cwd=root,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{policy}:4: checks[0].metric: unknown metric 'fairness.parity'" in result.stderr
    assert f"{policy}:6: checks[0].severty: unknown key" in result.stderr


def test_policy_validate(root: Path, tmp_path: Path) -> None:
    ok = rai("policy", "validate", "policies/eeoc-four-fifths.yaml", LENDING, cwd=root)
    assert ok.returncode == 0 and ok.stdout.count("ok: ") == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    bad = rai("policy", "validate", str(broken), cwd=root)
    assert bad.returncode == 2 and f"{broken}:2:" in bad.stderr and "invalid YAML" in bad.stderr


def test_policy_schema_and_metrics(root: Path) -> None:
    schema = json.loads(rai("policy", "schema", cwd=root).stdout)
    assert schema["title"] == "responsible-ai policy"
    metrics = rai("metrics", cwd=root).stdout
    assert (
        "fairness.selection_rate_ratio" in metrics
        and "fairness.equalized_odds_difference" in metrics
    )


def test_failing_check_exits_1_with_junit_evidence(root: Path, tmp_path: Path) -> None:
    policy = tmp_path / "strict.yaml"
    policy.write_text(
        "name: strict\ndata: {target: credit, positive_label: good, sensitive: [sex]}\n"
        "checks:\n  - id: parity\n    metric: fairness.demographic_parity_difference\n"
        "    must: '<= 0'\n    severity: critical\n"
    )
    out = tmp_path / "junit.xml"
    result = rai(
        "check",
        "sample_data/german_credit.csv",
        "--policy",
        str(policy),
        "--prediction",
        "credit",
        "--output",
        str(out),
        cwd=root,
    )
    assert result.returncode == 1
    xml = out.read_text()
    assert '<failure message="value' in xml and '"group": "female"' in xml


def test_usage_error_exits_2(root: Path) -> None:
    result = rai("check", "sample_data/german_credit.csv", cwd=root)
    assert result.returncode == 2 and "--policy" in result.stderr
