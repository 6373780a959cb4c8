"""Attacks through the data a model predicts on: whatever dtypes and values a CSV or frame holds,
alignment to the model gives a frame the model predicts on or one short line naming the column
(exit 2), never an internal error; what the data says about itself (column names, values, codes
kept as text) reaches terminals and reports escaped."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from responsible_ai.alignment import align_to_model
from responsible_ai.cli import main
from responsible_ai.errors import InputError

POLICY = """\
name: tiny
version: "1"
data:
  target: outcome
  positive_label: good
  sensitive: [group]
checks:
  - id: ratio
    metric: fairness.selection_rate_ratio
    must: ">= 0.5"
    severity: high
"""
HOSTILE = "\x1b[31mred\x1b[0m\nrai: pass\r<script>alert(1)</script>" + "x" * 5000


def rai(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
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


def _training() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "rate": rng.choice(["1", "2", "3"], 200),
            "amount": rng.normal(100, 20, 200).round(1),
            "group": rng.choice(["a", "b"], 200),
            "outcome": rng.choice(["good", "bad"], 200),
        }
    )


@pytest.fixture(scope="module")
def model() -> Pipeline:
    frame = _training()
    prepare = ColumnTransformer(
        [("c", OneHotEncoder(), ["rate"]), ("n", StandardScaler(), ["amount"])]
    )
    pipeline = Pipeline([("prepare", prepare), ("model", LogisticRegression())])
    return pipeline.fit(frame[["rate", "amount"]], frame["outcome"])


def _one_line(message: str) -> None:
    assert "\n" not in message and "\r" not in message and "\x1b" not in message
    assert len(message) < 600, len(message)


_cell = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from(["1", "2", "3", "01", " 2", "2.0", "", "nan", HOSTILE]),
    st.text(max_size=12),
    st.none(),
    st.booleans(),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rate=st.lists(_cell, min_size=1, max_size=6),
    amount=st.lists(_cell, min_size=1, max_size=6),
    as_category=st.booleans(),
)
def test_any_cells_align_or_are_refused_in_one_line(model, rate, amount, as_category) -> None:
    size = min(len(rate), len(amount))
    frame = pd.DataFrame({"rate": rate[:size], "amount": amount[:size]}, dtype=object)
    if as_category:
        with contextlib.suppress(TypeError, ValueError):
            frame["rate"] = frame["rate"].astype("category")
    try:
        aligned, notes = align_to_model(model, frame)
    except InputError as error:
        _one_line(str(error))
        return
    for note in notes:
        _one_line(note)
    finite = pd.to_numeric(aligned["amount"], errors="coerce")
    if finite.notna().all() and np.isfinite(finite).all():
        assert len(model.predict(aligned)) == size  # what alignment let through, predicts


@pytest.fixture
def folder(tmp_path: Path, model: Pipeline) -> Path:
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    sio.dump(model, tmp_path / "model.skops")
    return tmp_path


def test_a_hostile_unknown_category_exits_2_in_one_escaped_line(folder: Path) -> None:
    frame = _training().assign(rate=lambda d: d["rate"].where(d.index != 3, HOSTILE))
    frame.to_csv(folder / "data.csv", index=False)
    result = rai("check", "data.csv", "--policy", "policy.yaml", "--model", "model.skops",
                 cwd=folder)  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("rai: error: column 'rate' does not fit the model")
    _one_line(result.stderr.removesuffix("\n"))  # control characters escaped, value clipped


def test_notes_about_hostile_column_names_are_escaped_in_reports(folder: Path) -> None:
    name = "<script>alert(1)</script>"
    frame = _training().assign(**{name: ["007", "123"] * 100})
    frame.to_csv(folder / "data.csv", index=False)
    result = rai("check", "data.csv", "--policy", "policy.yaml", "--model", "model.skops",
                 "--output", "report.html", cwd=folder)  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "kept as text" in html and name not in html
    markdown = rai("check", "data.csv", "--policy", "policy.yaml", "--model", "model.skops",
                   cwd=folder)  # fmt: skip
    assert "kept as text" in markdown.stdout


def test_text_in_a_number_column_is_refused_not_an_internal_error(folder: Path) -> None:
    frame = _training().assign(
        amount=lambda d: d["amount"].astype(str).where(d.index != 7, "1e999x")
    )
    frame.to_csv(folder / "data.csv", index=False)
    result = rai("check", "data.csv", "--policy", "policy.yaml", "--model", "model.skops",
                 cwd=folder)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("rai: error: column 'amount' does not fit the model: found")
