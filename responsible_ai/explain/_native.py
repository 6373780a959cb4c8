"""LightGBM's own TreeSHAP: ``predict(..., pred_contrib=True)``, multi-threaded in C++.

LightGBM computes path-dependent TreeSHAP itself, on every core, and shap's ``TreeExplainer``
calls exactly that for a LightGBM model. Calling it directly skips importing shap (about a second)
and sets the thread count. Its values equal shap's own C++ TreeSHAP on the same trees to 1e-15
(tests/explain/test_explain_parallel.py). XGBoost's ``Booster.predict(..., pred_contribs=True)``
is what shap's ``TreeExplainer`` itself calls for an XGBoost model (path-dependent TreeSHAP, no
background): calling it directly gives the same numbers (tests/explain/test_explain_xgboost.py)
without shap's import, on ``n_jobs`` threads, and never inside forked workers (whose threads
would only compete).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LightGBMContributions", "XGBoostContributions", "native_contributions"]


class LightGBMContributions:
    """SHAP values of a LightGBM model by LightGBM, in shap's output layout.

    Parameters
    ----------
    estimator : LGBMClassifier or LGBMRegressor
        A fitted model.
    n_jobs : int
        LightGBM's threads for the contributions.
    """

    def __init__(self, estimator: Any, n_jobs: int) -> None:
        self.estimator = estimator
        self.n_jobs = n_jobs
        self.outputs = max(1, int(getattr(estimator, "n_classes_", 2)))
        self.outputs = self.outputs if self.outputs > 2 else 1
        self.expected_value: Any = None
        self.details = [f"TreeSHAP by LightGBM's own pred_contrib, {n_jobs} thread(s)"]

    def _contributions(self, matrix: Any) -> np.ndarray:
        return np.asarray(
            self.estimator.booster_.predict(matrix, pred_contrib=True, num_threads=self.n_jobs),
            dtype=float,
        )

    def shap_values(self, matrix: Any) -> np.ndarray:
        """Values as ``shap.TreeExplainer.shap_values`` returns them; sets ``expected_value``."""
        phi = self._contributions(np.asarray(matrix, dtype=float))
        if self.outputs == 1:
            self.expected_value = float(phi[0, -1]) if len(phi) else self._base()
            return phi[:, :-1]
        per_class = phi.reshape(len(phi), self.outputs, -1)
        self.expected_value = per_class[0, :, -1] if len(phi) else self._base()
        return np.transpose(per_class[:, :, :-1], (0, 2, 1))

    def _base(self) -> Any:
        phi = self._contributions(np.zeros((1, self.estimator.n_features_in_)))
        row = phi.reshape(self.outputs, -1)
        return float(row[0, -1]) if self.outputs == 1 else row[:, -1]


class XGBoostContributions(LightGBMContributions):
    """SHAP values of an XGBoost model by XGBoost's ``pred_contribs``, in shap's layout.

    The same call shap's ``TreeExplainer`` makes (``iteration_range`` of every tree, no feature
    validation), on ``n_jobs`` threads.
    """

    def __init__(self, estimator: Any, n_jobs: int) -> None:
        super().__init__(estimator, n_jobs)
        self.details = [f"TreeSHAP by XGBoost's own pred_contribs, {n_jobs} thread(s)"]

    def _contributions(self, matrix: Any) -> np.ndarray:
        import xgboost

        booster = self.estimator.get_booster()
        booster.set_param({"nthread": self.n_jobs})
        rounds = booster.num_boosted_rounds()
        phi = booster.predict(
            xgboost.DMatrix(matrix, nthread=self.n_jobs),
            iteration_range=(0, rounds),
            pred_contribs=True,
            validate_features=False,
        )
        return np.asarray(phi, dtype=float).reshape(len(matrix), -1)


def native_contributions(estimator: Any, n_jobs: int) -> LightGBMContributions | None:
    """LightGBM's or XGBoost's contributions when they are shap's values; None means use shap.

    Linear trees (``linear_tree``) are left to shap, which refuses them as LightGBM does not
    give their contributions. XGBoost: a tree booster (``gbtree``/``dart``) only; shap handles
    (or refuses) the rest.
    """
    module = type(estimator).__module__
    if module.startswith("xgboost"):
        booster = getattr(estimator, "booster", None) or "gbtree"
        fitted = getattr(estimator, "_Booster", None) is not None
        return XGBoostContributions(estimator, n_jobs) if fitted and booster == "gbtree" else None
    if not module.startswith("lightgbm"):
        return None
    params = estimator.get_params() if hasattr(estimator, "get_params") else {}
    if params.get("linear_tree") or getattr(estimator, "booster_", None) is None:
        return None
    return LightGBMContributions(estimator, n_jobs)
