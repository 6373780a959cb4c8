"""The allowlist is enumerated classes only, real models still load, and trees are checked."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    AdaBoostClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    KBinsDiscretizer,
    OneHotEncoder,
    StandardScaler,
)
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from responsible_ai.errors import InputError
from responsible_ai.model_trust import (
    TREE_MALFORMED,
    is_trusted_model_type,
    trusted_model_types,
)
from responsible_ai.models import load_model
from responsible_ai.reference_models import save_reference_model

FORBIDDEN_MODULES = {"builtins", "operator", "functools", "os", "posix", "subprocess", "importlib"}


def _resolve(name: str) -> object:
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def test_every_trusted_name_is_a_class_never_a_function() -> None:
    names = trusted_model_types()
    assert not [name for name in names if name.endswith(".") or name.endswith("*")]
    assert not [name for name in names if name.split(".")[0] in FORBIDDEN_MODULES]
    assert not [name for name in names if not isinstance(_resolve(name), type)]


def test_the_allowlist_is_not_a_prefix_match() -> None:
    names = trusted_model_types()
    # skops names a bound method "<owner type>.<method>": no trusted name may extend another
    assert not [a for a in names for b in names if a.startswith(b + ".")]
    assert "sklearn.linear_model._logistic.LogisticRegression" in names
    near_misses = {
        "numpy",
        "numpy.load",
        "numpy.lib._npyio_impl.load",
        "scipy.io.loadmat",
        "sklearn",
        "sklearn.utils._testing.assert_run_python_script_without_output",
    }
    assert not near_misses & names


def _sklearn_class_names() -> set[str]:
    """Every class of every public scikit-learn module, by qualified and by exported name."""
    import inspect
    import pkgutil

    import sklearn

    found: set[str] = set()
    for _, module_name, _ in pkgutil.walk_packages(sklearn.__path__, prefix="sklearn."):
        skipped = {"tests", "experimental", "externals"} & set(module_name.split("."))
        if "._" in module_name or skipped:
            continue
        module = importlib.import_module(module_name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            found.update({f"{cls.__module__}.{cls.__qualname__}", f"{module_name}.{name}"})
    return found


def test_the_quick_check_gives_the_allowlists_answer() -> None:
    # the loader asks is_trusted_model_type per name instead of walking scikit-learn
    names = trusted_model_types()
    candidates = (
        _sklearn_class_names()
        | names
        | {
            "sklearn.base.BaseEstimator",
            "sklearn.pipeline.make_pipeline",
            "sklearn.linear_model.LogisticRegression",  # exported, but not its qualified name
            "sklearn.linear_model._logistic.LogisticRegression.fit",
            "sklearn.impute._iterative.IterativeImputer",  # gated behind sklearn.experimental
            "sklearn.experimental.enable_iterative_imputer.IterativeImputer",
            "sklearn.utils._testing.assert_run_python_script_without_output",
            "sklearn.os.system",
            "sklearn..Pipeline",
            "sklearn.",
            "builtins.eval",
            "",
        }
    )
    assert {n for n in candidates if is_trusted_model_type(n)} == names & candidates


@pytest.mark.parametrize("dataset", ["german_credit", "adult", "people"])
def test_reference_models_load_without_trust(tmp_path: Path, dataset: str) -> None:
    path = save_reference_model(dataset, tmp_path)
    assert type(load_model(path)) is Pipeline


@pytest.fixture(scope="module")
def frame() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.random((120, 4)), columns=list("abcd"))
    data["kind"] = rng.choice(["x", "y", "z"], 120)
    return data, (data["a"] + rng.random(120) > 1).to_numpy().astype(int)


def _columns() -> ColumnTransformer:
    return ColumnTransformer(
        [("num", StandardScaler(), list("abcd")), ("cat", OneHotEncoder(), ["kind"])]
    )


MODELS = {
    "logistic": LogisticRegression(),
    "forest": RandomForestClassifier(n_estimators=3, random_state=0),
    "gradient boosting": GradientBoostingClassifier(n_estimators=3, random_state=0),
    "histogram boosting": HistGradientBoostingClassifier(max_iter=3),
    "tree": DecisionTreeClassifier(random_state=0),
    "svc": SVC(probability=True, random_state=0),
    "naive bayes": GaussianNB(),
    "mlp": MLPClassifier(max_iter=30, random_state=0),
    "calibrated": CalibratedClassifierCV(LogisticRegression()),
    "adaboost": AdaBoostClassifier(n_estimators=3, random_state=0),
    "voting": VotingClassifier([("a", LogisticRegression()), ("b", GaussianNB())], voting="soft"),
    "stacking": StackingClassifier([("a", LogisticRegression()), ("b", GaussianNB())]),
    "binning": make_pipeline(
        KBinsDiscretizer(n_bins=3, quantile_method="averaged_inverted_cdf"), LogisticRegression()
    ),
    "ufunc transformer": make_pipeline(FunctionTransformer(np.abs), LogisticRegression()),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning", "ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(MODELS))
def test_common_models_load_without_trust(
    tmp_path: Path, frame: tuple[pd.DataFrame, np.ndarray], name: str
) -> None:
    data, target = frame
    model = Pipeline([("prepare", _columns()), ("model", MODELS[name])]).fit(data, target)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(data), model.predict(data))


def test_lightgbm_loads_without_trust(
    tmp_path: Path, frame: tuple[pd.DataFrame, np.ndarray]
) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    data, target = frame
    model = Pipeline(
        [("prepare", _columns()), ("model", lightgbm.LGBMClassifier(n_estimators=5, verbose=-1))]
    ).fit(data, target)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    np.testing.assert_array_equal(load_model(path).predict(data), model.predict(data))


def _tree(data: pd.DataFrame, target: np.ndarray) -> DecisionTreeClassifier:
    return DecisionTreeClassifier(max_depth=3, random_state=0).fit(data[list("abcd")], target)


def _histogram(data: pd.DataFrame, target: np.ndarray) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=2).fit(data[list("abcd")], target)


def _break_tree(model: DecisionTreeClassifier, field: str, value: int) -> None:
    getattr(model.tree_, field)[0] = value  # views onto the tree's own node array


def _break_predictor(model: HistGradientBoostingClassifier, field: str, value: int) -> None:
    model._predictors[0][0].nodes[field][0] = value


TAMPERED = [
    ("tree", "children_left", 10**6, "node 0: left child 1000000 is not a later node"),
    ("tree", "children_right", 0, "node 0: right child 0 is not a later node"),
    ("tree", "feature", 4, "node 0: feature 4 is not one of 4 features"),
    ("tree", "children_left", -1, "node 0: only one of its children is a leaf marker"),
    ("histogram", "left", 4_000_000_000, "node 0: left child 4000000000 is not a later node"),
    ("histogram", "right", 0, "node 0: right child 0 is not a later node"),
    ("histogram", "feature_idx", -7, "node 0: feature -7 is not one of 4 features"),
]


@pytest.mark.parametrize(("kind", "field", "value", "problem"), TAMPERED)
@pytest.mark.parametrize("trust", [False, True])
def test_malformed_trees_are_refused(
    tmp_path: Path,
    frame: tuple[pd.DataFrame, np.ndarray],
    kind: str,
    field: str,
    value: int,
    problem: str,
    trust: bool,
) -> None:
    data, target = frame
    if kind == "tree":
        tree = _tree(data, target)
        _break_tree(tree, field, value)
        model: object = tree
    else:
        histogram = _histogram(data, target)
        _break_predictor(histogram, field, value)
        model = histogram
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    head = TREE_MALFORMED.split("(node")[0].format(path=path)
    with pytest.raises(InputError, match=re.escape(head) + r"\(" + re.escape(problem) + r"\)"):
        load_model(path, trust_model=trust)


def test_a_tree_wider_than_its_estimator_is_refused(
    tmp_path: Path, frame: tuple[pd.DataFrame, np.ndarray]
) -> None:
    data, target = frame
    tree = _tree(data, target)
    tree.n_features_in_ = 2  # predict would accept 2 columns, the tree reads column 3
    path = tmp_path / "model.skops"
    sio.dump(tree, path)
    with pytest.raises(InputError, match=r"the tree has 4 features, its estimator 2"):
        load_model(path)


def test_a_categorical_split_on_a_numeric_feature_is_refused(
    tmp_path: Path, frame: tuple[pd.DataFrame, np.ndarray]
) -> None:
    data, target = frame
    histogram = _histogram(data, target)
    _break_predictor(histogram, "is_categorical", 1)  # predict would index an empty table
    path = tmp_path / "model.skops"
    sio.dump(histogram, path)
    with pytest.raises(InputError, match=r"node 0: categorical split on feature \d, not a categ"):
        load_model(path)


@pytest.mark.parametrize("tamper", [False, True])
def test_sparse_coefficients_are_checked(tmp_path: Path, tamper: bool) -> None:
    rows = np.arange(40, dtype=float).reshape(20, 2)
    model = LogisticRegression().fit(rows, np.arange(20) % 2).sparsify()
    if tamper:
        model.coef_.indices[0] = 10**6  # a product with X would read far outside coef_
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    if tamper:
        with pytest.raises(
            InputError, match=r"holds a malformed sparse matrix \(indices must be < 2\)"
        ):
            load_model(path)
    else:
        np.testing.assert_array_equal(load_model(path).predict(rows), model.predict(rows))
