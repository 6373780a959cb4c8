"""Model-agnostic SHAP values by antithetic permutation sampling, with an interventional background.

The same estimator as shap's ``PermutationExplainer``, written out in NumPy: shap's version compiles
its maskers with numba on first use, which costs tens of seconds per process, too much for a CLI
run. Each sampled feature order and its reverse switch features one by one from background values
to the row's values; a feature's SHAP value is its average change of the mean model output. The
changes along one order telescope, so the values add up exactly to the row's output minus the mean
output over the background (additivity holds whatever the number of orders).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["permutation_shap"]


def permutation_shap(
    predict: Callable[[np.ndarray], np.ndarray],
    rows: np.ndarray,
    background: np.ndarray,
    *,
    orders: int = 10,
    random_state: int = 0,
) -> tuple[np.ndarray, float]:
    """SHAP values of ``rows`` for the function ``predict``.

    Parameters
    ----------
    predict : callable
        Maps a 2-D array of rows to a 1-D array of outputs.
    rows : ndarray of shape (n, f)
        The rows to explain.
    background : ndarray of shape (m, f)
        Rows standing for "feature unknown".
    orders : int, default 10
        Feature orders sampled per row (rounded up to an even number: each comes with its
        reverse).
    random_state : int, default 0
        Seed of the orders.

    Returns
    -------
    values : ndarray of shape (n, f)
    expected_value : float
        Mean of ``predict`` over the background.

    Examples
    --------
    >>> import numpy as np
    >>> values, base = permutation_shap(lambda x: x @ [1.0, 2.0], np.array([[1.0, 1.0]]),
    ...                                 np.zeros((3, 2)))
    >>> values.round(6).tolist(), base
    ([[1.0, 2.0]], 0.0)
    """
    rng = np.random.default_rng(random_state)
    n, width = rows.shape
    size = len(background)
    base = float(np.mean(predict(background)))
    values = np.zeros((n, width))
    pairs = max(1, (orders + 1) // 2)
    for index in range(n):
        sampled = [rng.permutation(width) for _ in range(pairs)]
        sequence = np.stack([o for order in sampled for o in (order, order[::-1])])
        # known[k, j, c]: after j steps of order k, feature c holds the row's value.
        rank = np.empty_like(sequence)
        np.put_along_axis(rank, sequence, np.arange(width)[None, :], axis=1)
        known = rank[:, None, :] < np.arange(width + 1)[None, :, None]
        batch = np.where(known[:, :, None, :], rows[index], background[None, None, :, :])
        means = predict(batch.reshape(-1, width)).reshape(len(sequence), width + 1, size)
        steps = np.diff(means.mean(axis=2), axis=1)
        np.add.at(values[index], sequence.ravel(), steps.ravel())
        values[index] /= len(sequence)
    return values, base
