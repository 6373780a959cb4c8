"""DP models: train a diffprivlib classifier beside its non-private twin and compare them.

Accuracy and fairness of both come from the same engine as every audit
(:func:`responsible_ai.fairness.groups.count_groups`), so the table reads like a fairness report.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError
from responsible_ai.fairness.groups import count_groups, group_rate
from responsible_ai.privacy.dp.ledger import BudgetLedger, Operation, current_user
from responsible_ai.privacy.dp.statistics import no_privacy_leaks

__all__ = ["DP_MODELS", "NEEDS_BOUNDS", "NEEDS_DATA_NORM", "compare_dp_models"]

# name -> (sklearn class, diffprivlib class, mechanism recorded in the ledger)
DP_MODELS: dict[str, tuple[str, str, str]] = {
    "logistic_regression": (
        "sklearn.linear_model:LogisticRegression",
        "diffprivlib.models:LogisticRegression",
        "Vector (objective perturbation)",
    ),
    "gaussian_nb": (
        "sklearn.naive_bayes:GaussianNB",
        "diffprivlib.models:GaussianNB",
        "Laplace (bounded domain) + Geometric",
    ),
    "random_forest": (
        "sklearn.ensemble:RandomForestClassifier",
        "diffprivlib.models:RandomForestClassifier",
        "PermuteAndFlip",
    ),
}
NEEDS_DATA_NORM = (
    "logistic_regression needs data_norm: the largest L2 norm of a row of X, known without "
    "looking at the data (rows above it are clipped)"
)
NEEDS_BOUNDS = (
    "{model} needs bounds: (lower, upper) arrays of each feature, known without looking at the data"
)
UNKNOWN_MODEL = "unknown DP model {model!r}; choose one of {choices}"


def _load(path: str) -> Any:
    import importlib

    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _fairness_row(
    y_true: np.ndarray, y_pred: np.ndarray, groups: pd.DataFrame, by: list[str]
) -> dict[str, float]:
    counts = count_groups(groups, by, y_pred, y_true)
    total = counts.total()
    selection = group_rate(counts.cells, "selection_rate")
    tpr = group_rate(counts.cells, "true_positive_rate")
    fpr = group_rate(counts.cells, "false_positive_rate")

    def difference(values: np.ndarray) -> float:
        return float(np.nanmax(values) - np.nanmin(values))

    return {
        "accuracy": (total["tp"] + total["tn"]) / total["n"],
        "selection_rate": total["pp"] / total["n"],
        "selection_rate_ratio": float(np.nanmin(selection) / np.nanmax(selection))
        if np.nanmax(selection) > 0
        else float("nan"),
        "demographic_parity_difference": difference(selection),
        "equal_opportunity_difference": difference(tpr),
        "equalized_odds_difference": max(difference(tpr), difference(fpr)),
    }


def compare_dp_models(
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    sensitive: pd.DataFrame | pd.Series,
    epsilon: float,
    model: str = "logistic_regression",
    data_norm: float | None = None,
    bounds: tuple[Any, Any] | None = None,
    positive_label: Any = 1,
    random_state: int | None = None,
    ledger: BudgetLedger | None = None,
    dataset: str | None = None,
    budget: float | None = None,
    who: str | None = None,
) -> pd.DataFrame:
    """Train a non-private and a DP classifier; compare accuracy and fairness in one table.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : array-like
        Numeric features and labels.
    sensitive : DataFrame or Series
        Sensitive feature(s) of the test rows, to group the fairness metrics by.
    epsilon : float
        Privacy loss of training the DP model.
    model : {"logistic_regression", "gaussian_nb", "random_forest"}
    data_norm : float, optional
        Required for logistic regression: the largest L2 norm of a row.
    bounds : (lower, upper), optional
        Required for the others: per-feature bounds.
    positive_label : default 1
        The favourable outcome.
    random_state : int, optional
        Seed of both models (a DP model trained for real should use None).
    ledger, dataset, budget, who : optional
        With a ledger, training is charged to ``dataset`` before it starts (refused over budget).

    Returns
    -------
    DataFrame
        One row per model (``non-private``, ``dp``) with ``epsilon``, ``accuracy``,
        ``selection_rate``, ``selection_rate_ratio``, ``demographic_parity_difference``,
        ``equal_opportunity_difference`` and ``equalized_odds_difference``.
    """
    if model not in DP_MODELS:
        raise InputError(UNKNOWN_MODEL.format(model=model, choices=", ".join(DP_MODELS)))
    plain_path, private_path, mechanism = DP_MODELS[model]
    if model == "logistic_regression" and data_norm is None:
        raise InputError(NEEDS_DATA_NORM)
    if model != "logistic_regression" and bounds is None:
        raise InputError(NEEDS_BOUNDS.format(model=model))
    groups = sensitive.to_frame() if isinstance(sensitive, pd.Series) else sensitive
    groups = groups.reset_index(drop=True)
    by = [str(c) for c in groups.columns]
    truth = np.asarray(y_test) == positive_label
    if len(truth) != len(groups):
        raise InputError(
            f"sensitive has {len(groups)} rows but y_test has {len(truth)}; they must match"
        )

    private_kwargs: dict[str, Any] = {"epsilon": epsilon, "random_state": random_state}
    plain_kwargs: dict[str, Any] = {}
    if model == "logistic_regression":
        private_kwargs["data_norm"] = data_norm
        plain_kwargs["max_iter"] = 1000
    else:
        private_kwargs["bounds"] = bounds
    if model == "random_forest":
        private_kwargs["classes"] = np.unique(np.asarray(y_train)).tolist()  # labels: public
        plain_kwargs["random_state"] = random_state
    if ledger is not None:
        operation = Operation(f"train DP {model}", mechanism, float(epsilon))
        ledger.charge(dataset or "unnamed", [operation], budget, who=who or current_user())

    rows = []
    for name, path, kwargs in (
        ("non-private", plain_path, plain_kwargs),
        ("dp", private_path, private_kwargs),
    ):
        estimator = _load(path)(**kwargs)
        with no_privacy_leaks():
            estimator.fit(X_train, y_train)
        predicted = np.asarray(estimator.predict(X_test)) == positive_label
        row: dict[str, Any] = {
            "model": f"{model} ({name})",
            "epsilon": float(epsilon) if name == "dp" else float("inf"),
        }
        rows.append(row | _fairness_row(truth, predicted, groups, by))
    return pd.DataFrame(rows)
