"""Choose an explainer for a model and compute SHAP values in the original columns.

Exact where exactness is possible: TreeSHAP for tree ensembles, the linear explainer for linear
models, both applied to a pipeline's final estimator on its encoded input and summed back to the
original columns. Anything else gets a model-agnostic permutation explainer on the original
columns, with a small summarized background. shap is imported here, lazily, and only for trees:
interventional linear SHAP is ``coef * (x - mean)``, computed with numpy (importing shap costs a
second: matplotlib, IPython, numba), with the same numbers as ``shap.LinearExplainer``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.explain._columns import source_columns

__all__ = ["Attribution", "Explainer", "choose_explainer"]

_TREES = {
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "ExtraTreeClassifier",
    "ExtraTreeRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "LGBMClassifier",
    "LGBMRegressor",
    "XGBClassifier",
    "XGBRegressor",
}
# Trees whose leaves hold class probabilities: TreeSHAP explains the probability, not log-odds.
_PROBABILITY_TREES = {
    "DecisionTreeClassifier",
    "ExtraTreeClassifier",
    "RandomForestClassifier",
    "ExtraTreesClassifier",
}
_TREE_MODULES = ("sklearn.", "lightgbm", "xgboost")
_CHUNK = 2000
_AGNOSTIC_BACKGROUND = 50
_ORDERS = 10
# shap's Independent masker summarizes a background of more rows by this many, drawn by
# sklearn.utils.shuffle(random_state=0); the linear explainer below uses the same rows.
_LINEAR_BACKGROUND = 100


@dataclass
class Attribution:
    """SHAP values of some rows in the original columns, the expected value, the model output.

    ``values.sum(axis=1) + base`` equals ``output`` (additivity), in the explainer's output space.
    """

    values: np.ndarray
    base: float
    output: np.ndarray


@dataclass
class Explainer:
    """An explainer ready to run: what it is, why it was chosen, and how to compute with it."""

    name: str
    reason: str
    output_space: str
    features: list[str]
    compute: Callable[[pd.DataFrame], Attribution]
    #: How the last ``compute`` ran (worker processes, native threads), for the details.
    details: list[str] = field(default_factory=list)


def _is_tree(estimator: Any) -> bool:
    kind = type(estimator)
    return kind.__name__ in _TREES and kind.__module__.startswith(_TREE_MODULES)


def _is_linear(estimator: Any) -> bool:
    module = type(estimator).__module__
    return (
        module.startswith("sklearn.linear_model")
        and hasattr(estimator, "coef_")
        and hasattr(estimator, "intercept_")
    )


def _dense(matrix: Any) -> np.ndarray:
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    return np.asarray(matrix, dtype=float)


def _chunks(function: Callable[[Any], Any], data: Any, rows: int) -> list[Any]:
    """Run ``function`` over row chunks, with a progress bar on long runs at a terminal."""
    starts = range(0, rows, _CHUNK)
    if len(starts) > 1 and sys.stderr.isatty():
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="explaining", unit="chunk", leave=False)
    return [function(data[start : start + _CHUNK]) for start in starts]


def _class_index(estimator: Any, positive_label: Any) -> tuple[int, int]:
    """(index of the positive class, number of classes); (0, 0) for a regressor."""
    classes = list(getattr(estimator, "classes_", []))
    if not classes:
        return 0, 0
    if positive_label is None:
        return len(classes) - 1, len(classes)
    for index, label in enumerate(classes):
        if label == positive_label or str(label) == str(positive_label):
            return index, len(classes)
    shown = ", ".join(repr(c.item() if hasattr(c, "item") else c) for c in classes)
    raise ValueError(f"positive label {positive_label!r} is not one of the classes ({shown})")


def _pick(values: Any, expected: Any, index: int, n_classes: int) -> tuple[np.ndarray, float]:
    """The values and expected value of the positive class from any shap output layout."""
    array = np.stack(values, axis=-1) if isinstance(values, list) else np.asarray(values)
    base = np.ravel(np.asarray(expected, dtype=float))
    if array.ndim == 3:
        return array[:, :, index], float(base[index] if base.size > 1 else base[0])
    # One output for a binary classifier is the margin of classes_[1].
    sign = -1.0 if n_classes == 2 and index == 0 else 1.0
    return sign * array, sign * float(base[0])


def _margin(estimator: Any, matrix: Any, index: int, n_classes: int) -> np.ndarray:
    kind = type(estimator).__module__
    if hasattr(estimator, "decision_function"):
        margin = np.asarray(estimator.decision_function(matrix), dtype=float)
    elif kind.startswith("lightgbm"):
        margin = np.asarray(estimator.predict(matrix, raw_score=True), dtype=float)
    elif kind.startswith("xgboost"):
        margin = np.asarray(estimator.predict(matrix, output_margin=True), dtype=float)
    else:
        proba = np.clip(estimator.predict_proba(matrix)[:, index], 1e-15, 1 - 1e-15)
        return np.log(proba / (1 - proba))
    if margin.ndim == 2:
        return margin[:, index]
    return -margin if n_classes == 2 and index == 0 else margin


def _output(estimator: Any, matrix: Any, space: str, index: int, n_classes: int) -> np.ndarray:
    if space == "probability":
        return np.asarray(estimator.predict_proba(matrix), dtype=float)[:, index]
    if space == "log-odds":
        return _margin(estimator, matrix, index, n_classes)
    return np.asarray(estimator.predict(matrix), dtype=float)


def _space_label(space: str, positive_label: Any, n_classes: int) -> str:
    if n_classes == 0:
        return "prediction"
    return f"{space} of {positive_label!r}"


def _to_sources(values: np.ndarray, sources: list[str], features: list[str]) -> np.ndarray:
    """Sum the attributions of encoded columns into their source columns."""
    if sources == features:
        return values
    membership = np.zeros((len(sources), len(features)))
    membership[np.arange(len(sources)), [features.index(s) for s in sources]] = 1.0
    return values @ membership


class _Linear:
    """Interventional linear SHAP, as ``shap.LinearExplainer(model, background)`` computes it."""

    def __init__(self, estimator: Any, background: np.ndarray) -> None:
        from sklearn.utils import shuffle

        if len(background) > _LINEAR_BACKGROUND:
            background = shuffle(background, n_samples=_LINEAR_BACKGROUND, random_state=0)
        self.rows = len(background)
        self.mean = np.asarray(background, dtype=float).mean(axis=0)
        coef, intercept = np.asarray(estimator.coef_, dtype=float), estimator.intercept_
        if coef.ndim > 1 and coef.shape[0] == 1:  # binary classifier: one margin
            coef = coef[0]
            intercept = np.ravel(intercept)[0] if np.ndim(intercept) else intercept
        self.coef = coef
        self.expected_value = np.dot(coef, self.mean) + np.asarray(intercept, dtype=float)

    def shap_values(self, matrix: np.ndarray) -> np.ndarray:
        centred = np.asarray(matrix, dtype=float) - self.mean
        if self.coef.ndim == 1:
            return np.asarray(centred * self.coef)
        return np.stack([centred * row for row in self.coef], axis=-1)


def _exact(
    estimator: Any,
    transform: Callable[[pd.DataFrame], Any],
    sources: list[str],
    features: list[str],
    background: pd.DataFrame,
    positive_label: Any,
    n_jobs: int = 1,
) -> Explainer:
    index, n_classes = _class_index(estimator, positive_label)
    kind = type(estimator).__name__
    encoded = len(sources) != len(features) or sources != features
    through = (
        f"; explained on the {len(sources)} encoded columns of the pipeline's final step and "
        f"summed back to the {len(features)} original columns"
        if encoded
        else ""
    )
    details: list[str] = []
    if _is_tree(estimator):
        from responsible_ai.explain._parallel import tree_explainer

        explainer: Any = tree_explainer(estimator, n_jobs)
        space = "probability" if kind in _PROBABILITY_TREES else "log-odds"
        name = "TreeExplainer"
        reason = f"{kind} is a tree ensemble: exact TreeSHAP (path-dependent){through}"
        values_of: Callable[[Any], Any] = explainer.shap_values
    else:
        explainer = _Linear(estimator, _dense(transform(background)))
        space = "log-odds"
        name = "LinearExplainer"
        reason = (
            f"{kind} is linear: exact linear SHAP (interventional, expectation over "
            f"{explainer.rows} background rows){through}"
        )
        values_of = explainer.shap_values
    if n_classes == 0:
        space = "prediction"

    def compute(frame: pd.DataFrame) -> Attribution:
        prepared = transform(frame[features])
        matrix = _dense(prepared)
        if hasattr(explainer, "details"):  # trees: workers or threads chunk the rows themselves
            raw = np.asarray(values_of(matrix))
            details[:] = explainer.details
        else:
            parts = _chunks(values_of, matrix, len(matrix))
            raw = np.concatenate(
                [np.stack(p, axis=-1) if isinstance(p, list) else np.asarray(p) for p in parts]
            )
        values, base = _pick(raw, explainer.expected_value, index, n_classes)
        # The estimator's own input type (a DataFrame when it was fitted on one).
        given = prepared if isinstance(prepared, pd.DataFrame) else matrix
        output = _output(estimator, given, space, index, n_classes)
        return Attribution(_to_sources(values, sources, features), base, output)

    label = _space_label(space, positive_label if positive_label is not None else "", n_classes)
    return Explainer(name, reason, label, features, compute, details)


class _Codes:
    """Numeric codes for mixed-type columns, so a masker can mix rows of the original data."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = list(frame.columns)
        self.categories = {
            c: pd.Index(frame[c].dropna().unique())
            for c in self.columns
            if not pd.api.types.is_numeric_dtype(frame[c])
        }

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.columns)))
        for position, column in enumerate(self.columns):
            if column in self.categories:
                codes = self.categories[column].get_indexer(frame[column])
                out[:, position] = np.where(codes < 0, np.nan, codes)
            else:
                out[:, position] = pd.to_numeric(frame[column], errors="coerce")
        return out

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        columns: dict[str, Any] = {}
        for position, column in enumerate(self.columns):
            values = matrix[:, position]
            if column in self.categories:
                known = ~np.isnan(values)
                decoded = np.full(len(values), None, dtype=object)
                decoded[known] = self.categories[column].to_numpy()[values[known].astype(int)]
                columns[column] = decoded
            else:
                columns[column] = values
        return pd.DataFrame(columns)


def _agnostic(
    model: Any,
    features: list[str],
    background: pd.DataFrame,
    positive_label: Any,
    why: str,
    random_state: int,
) -> Explainer:
    index, n_classes = _class_index(model, positive_label)
    space = "probability" if n_classes and hasattr(model, "predict_proba") else "prediction"
    codes = _Codes(background[features])
    summary = background[features].sample(
        n=min(_AGNOSTIC_BACKGROUND, len(background)), random_state=random_state
    )

    def predict(matrix: np.ndarray) -> np.ndarray:
        return _output(model, codes.decode(matrix), space, index, n_classes)

    from responsible_ai.explain._permutation import permutation_shap

    summary_codes = codes.encode(summary)

    def compute(frame: pd.DataFrame) -> Attribution:
        matrix = codes.encode(frame[features])
        parts = _chunks(
            lambda chunk: permutation_shap(
                predict, chunk, summary_codes, orders=_ORDERS, random_state=random_state
            ),
            matrix,
            len(matrix),
        )
        values = np.concatenate([p[0] for p in parts])
        base = parts[0][1]
        output = _output(model, frame[features], space, index, n_classes)
        return Attribution(values, base, output)

    reason = (
        f"{why}: model-agnostic permutation SHAP on the original columns, with "
        f"{len(summary)} background rows and {_ORDERS} feature orders per row (approximate "
        f"values; additivity still holds)"
    )
    label = _space_label(space, positive_label if positive_label is not None else "", n_classes)
    return Explainer("PermutationExplainer", reason, label, features, compute)


def choose_explainer(
    model: Any,
    features: list[str],
    background: pd.DataFrame,
    positive_label: Any = None,
    *,
    random_state: int = 0,
    n_jobs: int | None = None,
) -> Explainer:
    """Pick the most exact explainer the model allows.

    Parameters
    ----------
    model : estimator
        A fitted estimator or ``Pipeline``.
    features : list of str
        The model's input columns.
    background : DataFrame
        Rows summarizing the data (linear and model-agnostic explainers).
    positive_label : optional
        The class to explain; default the last of ``classes_``.
    random_state : int, default 0
        Seed of the permutation explainer.
    n_jobs : int, optional
        Worker processes (or LightGBM threads) for TreeSHAP; default ``$RAI_N_JOBS``, else every
        core available. 1 explains in this process.

    Returns
    -------
    Explainer
    """
    from sklearn.pipeline import Pipeline

    delegate = getattr(model, "explained_model", None)
    inner = delegate() if callable(delegate) else None
    if inner is not None:  # a mitigator deciding exactly as one pipeline inside it
        estimator, inner_positive = inner
        return choose_explainer(
            estimator,
            features,
            background,
            inner_positive,
            random_state=random_state,
            n_jobs=n_jobs,
        )

    from responsible_ai.explain._parallel import resolve_n_jobs

    jobs = resolve_n_jobs(n_jobs)
    final, preprocessor = model, None
    if isinstance(model, Pipeline):
        final = model.steps[-1][1]
        preprocessor = model[:-1] if len(model.steps) > 1 else None
    kind = type(final).__name__
    if not (_is_tree(final) or _is_linear(final)):
        return _agnostic(
            model,
            features,
            background,
            positive_label,
            f"{kind} is neither a tree ensemble nor a linear model",
            random_state,
        )
    if preprocessor is None:
        return _exact(
            final, lambda f: f, list(features), features, background, positive_label, jobs
        )
    sources = source_columns(preprocessor, features)
    if sources is None:
        return _agnostic(
            model,
            features,
            background,
            positive_label,
            f"the pipeline's preprocessing mixes input columns, so {kind} cannot be explained "
            f"exactly in the original columns",
            random_state,
        )
    return _exact(
        final, preprocessor.transform, sources, features, background, positive_label, jobs
    )
