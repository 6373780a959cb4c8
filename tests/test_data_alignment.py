"""Data aligned to the model it is audited with: digit categories read back from a CSV as integers,
text where the model was fitted on numbers, pandas categories. Aligned with a data note, or
refused with one line naming the column, the dtype found and the dtype expected."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from responsible_ai import audit
from responsible_ai.alignment import (
    ALIGNED,
    MISSING_CATEGORY,
    NOT_A_CATEGORY,
    NOT_A_NUMBER,
    align_to_model,
)
from responsible_ai.cli import main
from responsible_ai.datasets import load_german_credit
from responsible_ai.errors import InputError
from responsible_ai.explain import explain

ROOT = Path(__file__).resolve().parents[1]
LENDING = ROOT / "policies" / "german-credit-lending.yaml"
FEATURES = ["installment_rate", "housing", "duration", "credit_amount"]
TO_TEXT = ALIGNED.format(
    column="installment_rate",
    found="int64",
    expected="text (str)",
    why="text (str) categories of its OneHotEncoder",
)


def rai(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in-process, as in tests/cli/test_cli_check.py."""
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


def _pipeline(**encoder: object) -> Pipeline:
    return Pipeline(
        [
            (
                "prepare",
                ColumnTransformer(
                    [
                        ("categories", OneHotEncoder(**encoder), ["installment_rate", "housing"]),
                        ("numbers", StandardScaler(), ["duration", "credit_amount"]),
                    ]
                ),
            ),
            ("model", LogisticRegression(max_iter=500)),
        ]
    )


@pytest.fixture(scope="module")
def german() -> pd.DataFrame:
    return load_german_credit().data


@pytest.fixture(scope="module")
def text_digit_model(german: pd.DataFrame) -> Pipeline:
    """Fitted where installment_rate was text ("1".."4"), as a form or a database gives it."""
    inputs = german[FEATURES].astype({"installment_rate": str})
    return _pipeline().fit(inputs, german["credit"])


@pytest.fixture
def saved(tmp_path: Path, german: pd.DataFrame, text_digit_model: Pipeline) -> Path:
    """The German sample written to CSV (installment_rate as digits) and the model as .skops."""
    german.to_csv(tmp_path / "german.csv", index=False)
    sio.dump(text_digit_model, tmp_path / "model.skops")
    return tmp_path


def test_the_csv_round_trip_breaks_the_bare_model(saved: Path, text_digit_model) -> None:
    """What users hit before: scikit-learn's message names no column."""
    back = pd.read_csv(saved / "german.csv")
    with pytest.raises(TypeError, match="ufunc 'isnan' not supported"):
        text_digit_model.predict(back[FEATURES])


def test_rai_check_aligns_digit_categories_and_says_so(saved: Path) -> None:
    result = rai(
        "check", "german.csv", "--policy", str(LENDING), "--model", "model.skops",
        "--output", "report.json", cwd=saved,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    report = json.loads((saved / "report.json").read_text(encoding="utf-8"))
    assert TO_TEXT in report["data_notes"]
    assert not [c for c in report["checks"] if c["status"] == "error"], report["checks"]


def test_audit_predicts_as_on_the_data_it_was_fitted_on(saved: Path, german, text_digit_model):
    report = audit(saved / "german.csv", LENDING, model=saved / "model.skops")
    assert TO_TEXT in report.data_notes
    fitted_on = german.astype({"installment_rate": str})
    expected = audit(fitted_on, LENDING, model=text_digit_model)
    assert [c.value for c in report.checks] == [c.value for c in expected.checks]
    assert TO_TEXT not in expected.data_notes  # nothing converted: no note


def test_an_unknown_category_exits_2_naming_column_and_dtypes(saved: Path, german) -> None:
    german.assign(installment_rate=german["installment_rate"].replace(4, 9)).to_csv(
        saved / "german.csv", index=False
    )
    result = rai("check", "german.csv", "--policy", str(LENDING), "--model", "model.skops",
                 cwd=saved)  # fmt: skip
    message = NOT_A_CATEGORY.format(
        column="installment_rate",
        found="int64",
        value=9,
        expected="text (str)",
        categories="'1', '2', '3', '4'",
    )
    assert result.returncode == 2
    assert result.stderr == f"rai: error: {message}\n"


def test_text_where_numbers_are_expected_exits_2(saved: Path, german) -> None:
    duration = german["duration"].astype(str).where(german.index != 5, "long")
    german.assign(duration=duration).to_csv(saved / "german.csv", index=False)
    result = rai("check", "german.csv", "--policy", str(LENDING), "--model", "model.skops",
                 cwd=saved)  # fmt: skip
    message = NOT_A_NUMBER.format(
        column="duration", found="text (str)", value="long", expected="int64 or float64"
    )
    assert (result.returncode, result.stderr) == (2, f"rai: error: {message}\n")


def test_rai_explain_aligns_too(saved: Path) -> None:
    result = rai("explain", "german.csv", "--model", "model.skops", "--sensitive", "sex",
                 "--rows", "50", cwd=saved)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"note: {TO_TEXT}" in result.stdout


def test_explain_on_the_round_trip_equals_explain_on_the_fitted_data(
    saved: Path, german, text_digit_model
) -> None:
    back = pd.read_csv(saved / "german.csv")
    aligned = explain(text_digit_model, back, ["sex"], rows=40, bootstrap=20)
    fitted = explain(
        text_digit_model, german.astype({"installment_rate": str}), ["sex"], rows=40, bootstrap=20
    )
    assert aligned.data_notes == [TO_TEXT] and fitted.data_notes == []
    np.testing.assert_allclose(aligned.values.to_numpy(), fitted.values.to_numpy())


def test_integer_categories_given_as_text_are_aligned(german) -> None:
    model = _pipeline().fit(german[FEATURES], german["credit"])
    given = german[FEATURES].astype({"installment_rate": str})
    aligned, notes = align_to_model(model, given)
    assert aligned["installment_rate"].tolist() == german["installment_rate"].tolist()
    assert notes == [
        ALIGNED.format(
            column="installment_rate",
            found="text (str)",
            expected="int64",
            why="int64 categories of its OneHotEncoder",
        )
    ]
    np.testing.assert_array_equal(model.predict(aligned), model.predict(german[FEATURES]))


@pytest.mark.parametrize(
    ("column", "convert", "found"),
    [
        ("housing", lambda s: s.astype("category"), "category"),
        ("installment_rate", lambda s: s.astype(float), "float64"),
        ("installment_rate", lambda s: s.astype(str).astype("category"), "category"),
    ],
)
def test_categories_and_floats_meet_the_fitted_categories(german, column, convert, found):
    model = _pipeline().fit(german[FEATURES].astype({"installment_rate": str}), german["credit"])
    given = german[FEATURES].astype({"installment_rate": str})
    given[column] = convert(german[column])
    aligned, notes = align_to_model(model, given)
    assert len(notes) == 1 and f"column {column!r} was {found} in the data" in notes[0]
    assert aligned[column].map(type).eq(str).all()
    reference = german[FEATURES].astype({"installment_rate": str})
    np.testing.assert_array_equal(model.predict(aligned), model.predict(reference))


def test_an_encoder_that_ignores_unknowns_gets_them_as_text(german) -> None:
    model = _pipeline(handle_unknown="ignore").fit(
        german[FEATURES].astype({"installment_rate": str}), german["credit"]
    )
    given = german[FEATURES].assign(installment_rate=german["installment_rate"].replace(4, 9))
    aligned, _ = align_to_model(model, given)
    assert set(aligned["installment_rate"]) == {"1", "2", "3", "9"}
    assert len(model.predict(aligned)) == len(german)


def test_an_imputer_before_the_encoder_and_missing_values(german) -> None:
    categories = Pipeline(
        [("impute", SimpleImputer(strategy="most_frequent")), ("encode", OrdinalEncoder())]
    )
    model = Pipeline(
        [
            ("prepare", ColumnTransformer([("c", categories, ["installment_rate"])])),
            ("model", LogisticRegression()),
        ]
    ).fit(german[["installment_rate"]].astype(str), german["credit"])
    given = german[["installment_rate"]].astype(float)
    given.iloc[0, 0] = np.nan
    aligned, notes = align_to_model(model, given)
    assert pd.isna(aligned.iloc[0, 0])
    assert aligned.iloc[1, 0] == str(german.iloc[1]["installment_rate"])
    assert "OrdinalEncoder" in notes[0]
    assert len(model.predict(aligned)) == len(german)


def test_a_bare_estimator_takes_numbers_written_as_text(german) -> None:
    model = LogisticRegression().fit(german[["duration", "age"]], german["credit"])
    aligned, notes = align_to_model(model, german[["duration", "age"]].astype(str))
    assert aligned["duration"].tolist() == german["duration"].tolist() and len(notes) == 2
    with pytest.raises(InputError, match="column 'age' does not fit the model: found text"):
        align_to_model(model, german[["duration"]].assign(age="old"))


def test_a_model_it_cannot_inspect_is_left_alone(german) -> None:
    class Rule:
        def predict(self, frame: pd.DataFrame) -> np.ndarray:
            return np.where(frame["duration"] > 12, "bad", "good")

    frame = german[["duration"]].astype(str)
    aligned, notes = align_to_model(Rule(), frame)
    assert aligned is frame and notes == []


def test_a_missing_category_the_model_never_saw_is_refused(german, text_digit_model) -> None:
    given = german[FEATURES].astype({"installment_rate": str})
    given.loc[[3, 8], "housing"] = None
    message = MISSING_CATEGORY.format(
        column="housing", count=2, categories="'for free', 'own', 'rent'"
    )
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        align_to_model(text_digit_model, given)
