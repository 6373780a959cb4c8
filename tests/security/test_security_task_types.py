"""Task types: decisions that are not decisions never pass a fairness check.

A regressor's outputs or a column of probabilities never equal the positive label, so every
selection rate would be 0 and every ratio or difference would look fair. Multi-valued labels
would be binarised without anyone deciding how. Each case is bad input (exit 2, one line naming
the column and the fix) for a check that needs decisions, through ``rai check`` and ``audit()``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LinearRegression, LogisticRegression

from responsible_ai import audit
from responsible_ai.cli import main
from responsible_ai.decisions import (
    MULTI_VALUED,
    PREDICTIONS_ARE_SCORES,
    REGRESSOR_MODEL,
)
from responsible_ai.errors import InputError
from responsible_ai.report.escaping import markdown_text

ROWS = 200


def rai(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in-process; exit code, stdout and stderr as a subprocess would give."""
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


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    sex = rng.choice(["f", "m"], ROWS)
    income = rng.normal(size=ROWS)
    target = (income + rng.normal(scale=0.5, size=ROWS) > 0).astype(int)
    return pd.DataFrame({"sex": sex, "income": income, "approved": target})


def _policy(tmp_path: Path, *, positive_label: Any = None, **checks: str) -> Path:
    data: dict[str, Any] = {"target": "approved", "sensitive": ["sex"]}
    if positive_label is not None:
        data["positive_label"] = positive_label
    chosen = checks or {"parity": "fairness.demographic_parity_difference"}
    policy = {
        "name": "task-types",
        "version": "1",
        "data": data,
        "fairness": {"n_boot": 0},
        "checks": [
            {"id": key, "metric": metric, "must": "<= 0.2"} for key, metric in chosen.items()
        ],
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return path


def _one_line_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"rai: error: {message}\n"
    assert "Traceback" not in result.stderr


def test_probability_column_is_bad_input(tmp_path: Path) -> None:
    frame = _frame()
    frame["p"] = np.linspace(0.01, 0.99, ROWS)  # no value equals 1: every selection rate 0
    frame.to_csv(tmp_path / "data.csv", index=False)
    message = PREDICTIONS_ARE_SCORES.format(column="p", count=ROWS, low=0.01, high=0.99)
    result = rai(
        "check", "data.csv", "--policy", str(_policy(tmp_path)), "--prediction", "p", cwd=tmp_path
    )
    _one_line_error(result, message)
    assert "--score p" in message
    with pytest.raises(InputError, match=re.escape(message)):
        audit(frame, _policy(tmp_path), prediction="p")


def test_probability_column_as_score_still_works(tmp_path: Path) -> None:
    # The fix the message names works: the same column as --score feeds score metrics.
    frame = _frame()
    frame["p"] = np.linspace(0.01, 0.99, ROWS)
    policy = _policy(tmp_path, auc="fairness.roc_auc_difference")
    report = audit(frame, policy, score="p")
    assert report.checks[0].status in ("pass", "fail")
    assert report.checks[0].value is not None


def test_regressor_model_is_bad_input(tmp_path: Path) -> None:
    frame = _frame()
    model = LinearRegression().fit(frame[["income"]], frame["approved"])
    message = REGRESSOR_MODEL.format(kind="sklearn.linear_model._base.LinearRegression")
    with pytest.raises(InputError, match=re.escape(message)):
        audit(frame[["sex", "income", "approved"]], _policy(tmp_path), model=model)


def test_regressor_model_file_through_the_cli(tmp_path: Path) -> None:
    skops_io = pytest.importorskip("skops.io")
    frame = _frame()
    model = LinearRegression().fit(frame[["income"]], frame["approved"])
    skops_io.dump(model, tmp_path / "model.skops")
    frame.to_csv(tmp_path / "data.csv", index=False)
    policy = _policy(tmp_path)
    text = (tmp_path / "policy.yaml").read_text(encoding="utf-8")
    policy.write_text(text.replace("sensitive:", "features: [income]\n  sensitive:"), "utf-8")
    result = rai(
        "check", "data.csv", "--policy", str(policy), "--model", "model.skops", cwd=tmp_path
    )
    message = REGRESSOR_MODEL.format(kind="sklearn.linear_model._base.LinearRegression")
    _one_line_error(result, message)


def test_regression_metrics_keep_working_on_a_regressor(tmp_path: Path) -> None:
    frame = _frame()
    model = LinearRegression().fit(frame[["income"]], frame["approved"])
    policy = _policy(tmp_path, mae="fairness.mean_absolute_error_difference")
    text = yaml.safe_load(policy.read_text(encoding="utf-8"))
    text["checks"][0]["params"] = {"target": "approved"}
    text["checks"][0]["must"] = "<= 10"
    text["data"]["features"] = ["income"]
    policy.write_text(yaml.safe_dump(text), encoding="utf-8")
    report = audit(frame, policy, model=model)
    expected = frame.assign(e=(model.predict(frame[["income"]]) - frame["approved"]).abs())
    by_sex = expected.groupby("sex")["e"].mean()
    assert report.checks[0].status == "pass"
    assert report.checks[0].value == pytest.approx(by_sex.max() - by_sex.min(), abs=1e-12)


def test_classifier_still_audits(tmp_path: Path) -> None:
    frame = _frame()
    model = LogisticRegression().fit(frame[["income"]], frame["approved"])
    policy = yaml.safe_load(_policy(tmp_path).read_text(encoding="utf-8"))
    policy["data"]["features"] = ["income"]
    report = audit(frame, policy, model=model)
    assert report.checks[0].status in ("pass", "fail")
    assert report.data_notes == []


@pytest.mark.parametrize(
    ("values", "shown"),
    [([0, 1, 2], "0, 1, 2"), ([-1, 1], "-1, 1")],
    ids=["three-classes", "minus-one-one"],
)
def test_multi_valued_predictions_need_a_positive_label(
    tmp_path: Path, values: list[int], shown: str
) -> None:
    frame = _frame()
    frame["p"] = np.resize(values, ROWS)
    frame.to_csv(tmp_path / "data.csv", index=False)
    message = MULTI_VALUED.format(source="prediction column 'p'", values=shown)
    result = rai(
        "check", "data.csv", "--policy", str(_policy(tmp_path)), "--prediction", "p", cwd=tmp_path
    )
    _one_line_error(result, message)
    with pytest.raises(InputError, match=re.escape(message)):
        audit(frame, _policy(tmp_path), prediction="p")


def test_explicit_positive_label_binarises_and_says_how(tmp_path: Path) -> None:
    frame = _frame()
    frame["p"] = np.resize([0, 1, 2], ROWS)
    report = audit(frame, _policy(tmp_path), prediction="p", positive_label=1)
    assert "prediction binarised: 1 -> positive, {0, 2} -> negative" in report.data_notes
    # The note reaches what a reviewer reads (escaped as every user string in Markdown is).
    note = "prediction binarised: 1 -> positive, {0, 2} -> negative"
    assert markdown_text(note) in report.to_markdown()
    frame["approved"] = np.resize([2, 0, 1, 1], ROWS)  # a three-class target too
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = rai(
        "check", "data.csv", "--policy", str(_policy(tmp_path)), "--prediction", "p",
        "--positive-label", "2", "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    notes = json.loads(result.stdout)["data_notes"]
    assert "prediction binarised: 2 -> positive, {0, 1} -> negative" in notes
    assert "target 'approved' binarised: 2 -> positive, {0, 1} -> negative" in notes


def test_minus_one_one_with_matching_label_binarises(tmp_path: Path) -> None:
    frame = _frame()
    frame["approved"] = frame["approved"] * 2 - 1  # target and predictions in {-1, 1}
    frame["p"] = np.resize([-1, 1], ROWS)
    report = audit(frame, _policy(tmp_path, positive_label=1), prediction="p")
    rates = {row["group"]: row["selection_rate"] for row in report.checks[0].evidence["groups"]}
    assert rates == {"f": pytest.approx(0.5, abs=0.1), "m": pytest.approx(0.5, abs=0.1)}
    assert report.data_notes == []  # two labels, the target's own: nothing was decided


def test_labels_outside_the_targets_space_are_an_error(tmp_path: Path) -> None:
    frame = _frame()
    frame["p"] = np.resize(["yes", "no"], ROWS)  # never equals 1, shares nothing with the target
    with pytest.raises(InputError, match="shares no value with target 'approved'"):
        audit(frame, _policy(tmp_path), prediction="p")


def test_constant_predictions_never_pass_a_ratio(tmp_path: Path) -> None:
    frame = _frame()
    frame["p"] = 0  # nobody selected: every selection rate is 0
    report = audit(frame, _policy(tmp_path, ratio="fairness.selection_rate_ratio"), prediction="p")
    assert report.checks[0].status == "error"
    assert report.verdict == "fail"


def test_score_metrics_alone_ignore_a_probability_prediction(tmp_path: Path) -> None:
    # The problem is raised only by checks that need decisions.
    frame = _frame()
    frame["p"] = np.linspace(0.01, 0.99, ROWS)
    policy = _policy(tmp_path, auc="fairness.roc_auc_difference")
    report = audit(frame, policy, prediction="p", score="p")
    assert report.checks[0].value is not None


def test_streamed_parquet_probabilities_are_bad_input(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    frame = _frame()
    frame["p"] = np.linspace(0.01, 0.99, ROWS)
    frame.to_parquet(tmp_path / "data.parquet", index=False)
    message = PREDICTIONS_ARE_SCORES.format(column="p", count=ROWS, low=0.01, high=0.99)
    result = rai(
        "check", "data.parquet", "--policy", str(_policy(tmp_path)), "--prediction", "p",
        cwd=tmp_path,
    )  # fmt: skip
    _one_line_error(result, message)


def test_streamed_parquet_multi_valued_says_how(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    frame = _frame()
    frame["p"] = np.resize([0, 1, 2], ROWS)
    frame.to_parquet(tmp_path / "data.parquet", index=False)
    report = audit(tmp_path / "data.parquet", _policy(tmp_path, positive_label=1), prediction="p")
    assert report.inputs["data"]["streamed"] is True
    assert "prediction binarised: 1 -> positive, {0, 2} -> negative" in report.data_notes


def test_three_class_model_needs_a_positive_label(tmp_path: Path) -> None:
    frame = _frame()
    labels = np.resize([0, 1, 2], ROWS)
    model = LogisticRegression().fit(frame[["income"]], labels)
    policy = yaml.safe_load(_policy(tmp_path).read_text(encoding="utf-8"))
    policy["data"]["features"] = ["income"]
    kind = "sklearn.linear_model._logistic.LogisticRegression"
    message = MULTI_VALUED.format(source=f"the model's classes ({kind})", values="0, 1, 2")
    with pytest.raises(InputError, match=re.escape(message)):
        audit(frame, policy, model=model)
    report = audit(frame, policy, model=model, positive_label=1)
    assert "prediction binarised: 1 -> positive, {0, 2} -> negative" in report.data_notes
