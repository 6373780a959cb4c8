"""Linear SHAP without shap: the same numbers as ``shap.LinearExplainer``, and no shap import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shap
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

from responsible_ai.explain._explainers import _Linear

ROOT = Path(__file__).resolve().parents[2]


def _data(rows: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 5)) * [1, 3, 0.5, 10, 1] + [0, 2, -1, 50, 0]
    y = (x[:, 0] + 0.2 * x[:, 1] + rng.normal(size=rows) > 0).astype(int)
    if classes == 3:
        y = y + (x[:, 2] > -0.8).astype(int)
    return x, y


@pytest.mark.parametrize("background_rows", [40, 100, 250])  # 250: shap's 100-row sample
@pytest.mark.parametrize(
    "build",
    [
        lambda x, y: LogisticRegression(max_iter=5000).fit(x, y),
        lambda x, y: LogisticRegression(max_iter=5000).fit(
            x, y + (x[:, 2] > -0.8)
        ),  # three classes
        lambda x, y: LogisticRegression(fit_intercept=False, max_iter=5000).fit(x, y),
        lambda x, y: Ridge().fit(x, x[:, 0] * 2 + x[:, 3]),
        lambda x, y: Ridge().fit(x, np.c_[x[:, 0], x[:, 1] - x[:, 3]]),  # two targets
        lambda x, y: LinearRegression().fit(x, x[:, 1]),
    ],
    ids=["binary", "three-classes", "no-intercept", "ridge", "ridge-two-targets", "ols"],
)
def test_same_values_and_expected_value_as_shap(build, background_rows: int) -> None:
    x, y = _data(300, 2)
    model = build(x, y)
    background = x[:background_rows]
    ours, theirs = _Linear(model, background), shap.LinearExplainer(model, background)
    np.testing.assert_allclose(ours.shap_values(x), theirs.shap_values(x), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        np.asarray(ours.expected_value), np.asarray(theirs.expected_value), rtol=0, atol=1e-12
    )
    assert ours.rows == min(background_rows, 100)


def test_explaining_a_linear_model_does_not_import_shap(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from responsible_ai.datasets import load_german_credit\n"
        "from responsible_ai.explain import explain\n"
        "from responsible_ai.reference_models import train_reference_model\n"
        "german = load_german_credit()\n"
        "model, _ = train_reference_model('german_credit')\n"
        "exp = explain(model, german.data, ['sex'], rows=200)\n"
        "print(exp.explainer_name, exp.additivity_error < 1e-9, 'shap' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.stdout.split() == ["LinearExplainer", "True", "False"], done.stderr
