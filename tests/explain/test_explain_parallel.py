"""TreeSHAP across worker processes gives the values of one process; LightGBM's own
contributions equal shap's C++ TreeSHAP; the worker count comes from the setting, the environment
or the cores, and bad values are refused with one line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from test_explain_additivity import _data

from responsible_ai.errors import InputError
from responsible_ai.explain import _parallel, explain
from responsible_ai.policy.schema import Policy

FEATURES = ["income", "debt", "region", "tenure"]
NUMERIC = ["income", "debt", "tenure"]


def _forest(frame: pd.DataFrame) -> RandomForestClassifier:
    model = RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0, n_jobs=1)
    return model.fit(frame[NUMERIC], frame["approved"])


def _pipeline(frame: pd.DataFrame) -> Pipeline:
    prepare = ColumnTransformer([("region", OneHotEncoder(), ["region"])], remainder="passthrough")
    model = Pipeline([("prepare", prepare), ("model", GradientBoostingClassifier(n_estimators=30))])
    return model.fit(frame[FEATURES], frame["approved"])


@pytest.fixture
def always_parallel(monkeypatch):
    """Workers even for a few milliseconds of TreeSHAP: the split itself is under test."""
    monkeypatch.setattr(_parallel, "FORK_BREAK_EVEN_SECONDS", 0.0)
    monkeypatch.setattr(_parallel, "SPAWN_BREAK_EVEN_SECONDS", 0.0)


@pytest.mark.parametrize("build", [_forest, _pipeline], ids=["forest", "pipeline"])
def test_workers_give_the_values_of_one_process(build, always_parallel) -> None:
    frame = _data()
    model = build(frame)
    features = NUMERIC if isinstance(model, RandomForestClassifier) else FEATURES
    kwargs = {"features": features, "rows": 300, "bootstrap": 20}
    serial = explain(model, frame, ["sex"], n_jobs=1, **kwargs)
    parallel = explain(model, frame, ["sex"], n_jobs=2, **kwargs)
    assert "2 forked worker processes" in parallel.compute_details[0]
    assert "this process" in serial.compute_details[0]
    # TreeSHAP explains each row on its own: bitwise the same, whatever the chunks.
    assert np.array_equal(parallel.values.to_numpy(), serial.values.to_numpy())
    assert parallel.expected_value == serial.expected_value
    assert parallel.to_dict()["global_importance"] == serial.to_dict()["global_importance"]


def test_few_rows_stay_in_this_process() -> None:
    frame = _data(rows=60)
    exp = explain(_forest(frame), frame, ["sex"], features=NUMERIC, n_jobs=2, bootstrap=20)
    assert exp.compute_details == ["TreeSHAP ran in this process (n_jobs 1, or few rows)"]


def test_short_work_is_not_worth_workers(monkeypatch) -> None:
    # Whatever this machine's speed: rows estimated below the break-even stay in this process.
    monkeypatch.setattr(_parallel, "FORK_BREAK_EVEN_SECONDS", 1e9)
    monkeypatch.setattr(_parallel, "SPAWN_BREAK_EVEN_SECONDS", 1e9)
    frame = _data()
    exp = explain(_forest(frame), frame, ["sex"], features=NUMERIC, n_jobs=2, bootstrap=20)
    assert "less than starting worker processes pays for" in exp.compute_details[0]


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.integers(65, 260), jobs=st.integers(2, 3))
def test_any_split_gives_the_values_of_one_call(always_parallel, rows: int, jobs: int) -> None:
    from responsible_ai.explain._parallel import TreeShap

    frame = _data(rows=260, seed=rows)
    matrix = frame[NUMERIC].to_numpy()[:rows]
    tree = TreeShap(_forest(frame), n_jobs=jobs)
    split = tree.shap_values(matrix)
    assert "worker processes" in tree.details[0]
    whole = tree.explainer.shap_values(matrix, check_additivity=False)
    assert np.array_equal(split, np.asarray(whole))


def test_without_worker_processes_the_values_are_computed_here(
    monkeypatch, always_parallel
) -> None:
    frame = _data()
    model = _forest(frame)
    reference = explain(model, frame, ["sex"], features=NUMERIC, n_jobs=1, bootstrap=20)

    def refuse(*_args):
        raise OSError("no processes in this sandbox")

    monkeypatch.setattr(_parallel, "_executor", refuse)
    exp = explain(model, frame, ["sex"], features=NUMERIC, n_jobs=2, bootstrap=20)
    assert "could not run (no processes in this sandbox)" in exp.compute_details[0]
    assert np.array_equal(exp.values.to_numpy(), reference.values.to_numpy())


@pytest.mark.e2e  # starts real Python processes that import shap: seconds
def test_loky_workers_receive_the_model_once_and_agree(monkeypatch, always_parallel) -> None:
    # The path of macOS and Windows: workers are started, not forked (slow: they import shap).
    monkeypatch.setattr(_parallel, "_can_fork", lambda: False)
    frame = _data(rows=200)
    model = _forest(frame)
    reference = explain(model, frame, ["sex"], features=NUMERIC, n_jobs=1, bootstrap=20)
    exp = explain(model, frame, ["sex"], features=NUMERIC, n_jobs=2, bootstrap=20)
    assert "2 loky worker processes" in exp.compute_details[0]
    assert np.array_equal(exp.values.to_numpy(), reference.values.to_numpy())


def test_the_worker_count_comes_from_the_argument_the_environment_or_the_cores(
    monkeypatch,
) -> None:
    monkeypatch.delenv(_parallel.N_JOBS_ENV, raising=False)
    assert _parallel.resolve_n_jobs() == _parallel.available_cores()
    monkeypatch.setenv(_parallel.N_JOBS_ENV, "3")
    assert _parallel.resolve_n_jobs() == 3
    assert _parallel.resolve_n_jobs(1) == 1
    monkeypatch.setenv(_parallel.N_JOBS_ENV, "many")
    message = _parallel.BAD_N_JOBS.format(env=_parallel.N_JOBS_ENV, value="many")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _parallel.resolve_n_jobs()


def test_bad_n_jobs_is_refused_by_explain_and_the_policy() -> None:
    frame = _data(rows=60)
    with pytest.raises(InputError, match="The 'n_jobs' parameter of explain must be an int"):
        explain(_forest(frame), frame, ["sex"], features=NUMERIC, n_jobs=0)
    with pytest.raises(ValidationError, match="n_jobs"):
        Policy(name="p", explain={"n_jobs": 0})
    assert Policy(name="p").explain.n_jobs is None


def _lightgbm_data(classes: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(500, 6)), columns=[f"x{i}" for i in range(6)])
    signal = frame["x0"] + 0.5 * frame["x1"] - frame["x2"] + rng.logistic(size=500)
    if classes == 0:
        return frame, signal.to_numpy()
    cuts = np.quantile(signal, np.linspace(0, 1, classes + 1)[1:-1])
    return frame, np.digitize(signal, cuts)


@pytest.mark.parametrize("classes", [2, 3, 0], ids=["binary", "multiclass", "regression"])
def test_lightgbm_contributions_equal_shaps_own_treeshap(classes: int) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    import shap

    from responsible_ai.explain._native import native_contributions

    frame, target = _lightgbm_data(classes)
    kind = lightgbm.LGBMRegressor if classes == 0 else lightgbm.LGBMClassifier
    model = kind(n_estimators=40, verbose=-1, random_state=0).fit(frame, target)
    native = native_contributions(model, n_jobs=2)
    assert native is not None
    ours = native.shap_values(frame.to_numpy())
    # shap's own C++ TreeSHAP on the same trees (shap would otherwise call LightGBM too).
    internal = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    internal.model.model_type = "internal"
    theirs = np.asarray(internal.shap_values(frame.to_numpy(), check_additivity=False))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(native.expected_value, internal.expected_value, atol=1e-12)


def test_an_audit_of_a_lightgbm_model_says_how_it_was_explained() -> None:
    lightgbm = pytest.importorskip("lightgbm")
    frame, target = _lightgbm_data(2)
    frame["sex"] = np.where(frame["x3"] > 0, "female", "male")
    features = [f"x{i}" for i in range(6)]
    model = lightgbm.LGBMClassifier(n_estimators=40, verbose=-1).fit(frame[features], target)
    exp = explain(model, frame, ["sex"], features=features, n_jobs=2, bootstrap=20)
    assert exp.compute_details == ["TreeSHAP by LightGBM's own pred_contrib, 2 thread(s)"]
    assert exp.additivity_error < 1e-9
    assert exp.to_dict()["explainer"]["details"] == exp.compute_details
