"""``rai explain`` on the German credit sample: output, JSON file, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from responsible_ai.cli import main
from responsible_ai.datasets import load_german_credit
from responsible_ai.explain.cli import NO_SENSITIVE_NOTE
from responsible_ai.reference_models import save_reference_model

DATA = "sample_data/german_credit.csv"


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    return str(save_reference_model("german_credit", tmp_path_factory.mktemp("models")))


def test_explain_prints_and_writes_json(model_file, tmp_path, capsys):
    output = tmp_path / "explain.json"
    code = main(
        [
            "explain",
            DATA,
            "--model",
            model_file,
            "--sensitive",
            "sex,age_group",
            "--rows",
            "200",
            "--output",
            str(output),
        ]
    )
    captured = capsys.readouterr()
    printed = captured.out
    assert code == 0
    assert captured.err == ""  # no progress bar when stderr is not a terminal
    assert "LinearExplainer" in printed and "status" in printed
    assert "proxies (association >= 0.5): 1" in printed
    data = json.loads(output.read_text())
    features = set(load_german_credit().features)
    assert {r["feature"] for r in data["global_importance"]} == features
    assert {r["sensitive"] for r in data["group_attribution"]} == {"sex", "age_group"}
    assert data["reasons"] and all(r["contribution"] < 0 for r in data["reasons"])
    assert data["rows_explained"] >= 200


def test_explain_with_policy_takes_its_sensitive_columns(model_file, capsys):
    code = main(
        [
            "explain",
            DATA,
            "--model",
            model_file,
            "--policy",
            "policies/german-credit-lending.yaml",
            "--rows",
            "100",
        ]
    )
    assert code == 0
    assert "age_group" in capsys.readouterr().out


def test_explain_without_sensitive_columns_says_so(model_file, capsys):
    assert main(["explain", DATA, "--model", model_file, "--rows", "50"]) == 0
    assert NO_SENSITIVE_NOTE in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sensitive", "gender"], "sensitive column(s) ['gender'] are not in the data"),
        (["--rows", "0"], "--rows must be a positive number of rows; got 0"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    model_file, tmp_path, capsys, extra, message
):
    output = tmp_path / "out.json"
    code = main(["explain", DATA, "--model", model_file, *extra, "--output", str(output)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert not output.exists() and not list(Path(tmp_path).iterdir())


def test_missing_model_file_exits_2(capsys):
    assert main(["explain", DATA, "--model", "nowhere.skops"]) == 2
    assert "model file not found" in capsys.readouterr().err


def test_catalogue_and_command_module_stay_light():
    import subprocess
    import sys

    code = (
        "import sys, responsible_ai.explain.catalog, responsible_ai.explain.cli; "
        "heavy = [m for m in ('shap', 'matplotlib', 'pandas', 'numpy') if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_explain_takes_a_number_of_worker_processes(model_file, capsys):
    args = ["explain", DATA, "--model", model_file, "--sensitive", "sex", "--rows", "100"]
    assert main([*args, "--n-jobs", "0"]) == 2
    assert "The 'n_jobs' parameter of explain must be an int in the range [1, inf]" in (
        capsys.readouterr().err
    )
    assert main([*args, "--n-jobs", "2"]) == 0
