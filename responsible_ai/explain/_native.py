"""LightGBM's own TreeSHAP: ``predict(..., pred_contrib=True)``, multi-threaded in C++.

LightGBM computes path-dependent TreeSHAP itself, on every core, and shap's ``TreeExplainer``
calls exactly that for a LightGBM model. Calling it directly skips importing shap (about a second)
and sets the thread count. Its values equal shap's own C++ TreeSHAP on the same trees to 1e-15
(tests/explain/test_explain_parallel.py). XGBoost's ``pred_contribs`` is reached through shap's
``TreeExplainer``, which calls it the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LightGBMContributions", "native_contributions"]


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

    def shap_values(self, matrix: Any) -> np.ndarray:
        """Values as ``shap.TreeExplainer.shap_values`` returns them; sets ``expected_value``."""
        phi = np.asarray(
            self.estimator.booster_.predict(matrix, pred_contrib=True, num_threads=self.n_jobs),
            dtype=float,
        )
        if self.outputs == 1:
            self.expected_value = float(phi[0, -1]) if len(phi) else self._base()
            return phi[:, :-1]
        per_class = phi.reshape(len(phi), self.outputs, -1)
        self.expected_value = per_class[0, :, -1] if len(phi) else self._base()
        return np.transpose(per_class[:, :, :-1], (0, 2, 1))

    def _base(self) -> Any:
        width = self.estimator.n_features_in_
        phi = self.estimator.booster_.predict(
            np.zeros((1, width)), pred_contrib=True, num_threads=1
        )
        row = np.asarray(phi, dtype=float).reshape(self.outputs, -1)
        return float(row[0, -1]) if self.outputs == 1 else row[:, -1]


def native_contributions(estimator: Any, n_jobs: int) -> LightGBMContributions | None:
    """LightGBM's contributions when they are shap's values; None means use shap.

    Linear trees (``linear_tree``) are left to shap, which refuses them as LightGBM does not
    give their contributions.
    """
    if not type(estimator).__module__.startswith("lightgbm"):
        return None
    params = estimator.get_params() if hasattr(estimator, "get_params") else {}
    if params.get("linear_tree") or getattr(estimator, "booster_", None) is None:
        return None
    return LightGBMContributions(estimator, n_jobs)
