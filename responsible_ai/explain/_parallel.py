"""TreeSHAP at every core: the explained rows split across worker processes.

shap's TreeSHAP (C++) holds the GIL, so threads do not help; processes do. TreeSHAP explains each
row on its own, so a row's values do not depend on which rows share its chunk: the values are
bitwise those of one process. The fitted model reaches each worker once, when the worker starts:
on Linux the workers are forked and inherit the parent's explainer (nothing is copied or
re-imported); elsewhere loky starts them and sends the pickled model once per worker, through its
initializer. Only row chunks travel after that.

Workers cost something (a fork is ~50 ms here; a loky start imports shap, several seconds), so a
first chunk of rows is explained in the parent and timed, and the rest goes to the workers only
when the estimated single-process time of the rest exceeds the measured break-even.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import numpy as np

from responsible_ai.errors import InputError

__all__ = [
    "BAD_N_JOBS",
    "N_JOBS_ENV",
    "TreeShap",
    "available_cores",
    "resolve_n_jobs",
    "tree_explainer",
]

N_JOBS_ENV = "RAI_N_JOBS"
BAD_N_JOBS = "{env}={value!r} is not a number of worker processes; use a whole number >= 1"
#: Rows explained in the parent first, timed, to decide whether workers pay.
PROBE_ROWS = 32
#: Estimated single-process seconds of the remaining rows from which forked workers pay
#: (benchmarks/explain.py: a pool of 2 forked workers costs ~0.05 s; 0.25 s of TreeSHAP split in
#: two already gained 1.4x on the shared 2-core machine).
FORK_BREAK_EVEN_SECONDS = 0.25
#: The same for loky workers, which start a Python and import shap (~5 s for 2 workers here).
SPAWN_BREAK_EVEN_SECONDS = 10.0
_CHUNKS_PER_WORKER = 4
_MAX_CHUNK = 2000
_WORKER: dict[str, Any] = {}


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def resolve_n_jobs(n_jobs: int | None = None) -> int:
    """Worker processes to use: ``n_jobs`` if given, else ``$RAI_N_JOBS``, else every core.

    Raises
    ------
    InputError
        ``RAI_N_JOBS`` is not a whole number >= 1.
    """
    if n_jobs is not None:
        return max(1, int(n_jobs))
    value = os.environ.get(N_JOBS_ENV, "").strip()
    if not value:
        return available_cores()
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise InputError(BAD_N_JOBS.format(env=N_JOBS_ENV, value=value))
    return number


def _adopt(explainer: Any) -> None:
    """Worker initializer: keep the explainer (forked: inherited; loky: unpickled once)."""
    if isinstance(explainer, bytes):
        explainer = pickle.loads(explainer)  # our own model, pickled by the parent process
    _WORKER["explainer"] = explainer


def _explain_chunk(matrix: np.ndarray) -> np.ndarray:
    return np.asarray(_WORKER["explainer"].shap_values(matrix, check_additivity=False))


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _executor(explainer: Any, workers: int) -> Executor:
    if _can_fork():
        return ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_adopt,
            initargs=(explainer,),
        )
    from joblib.externals.loky import get_reusable_executor

    return get_reusable_executor(
        max_workers=workers,
        timeout=60,
        initializer=_adopt,
        initargs=(pickle.dumps(explainer),),
        env={"OMP_NUM_THREADS": "1"},
    )


def _progress(results: Iterator[np.ndarray], total: int) -> Iterator[np.ndarray]:
    if total > 1 and sys.stderr.isatty():
        from tqdm.auto import tqdm

        return iter(tqdm(results, total=total, desc="explaining", unit="chunk", leave=False))
    return results


class TreeShap:
    """shap's path-dependent ``TreeExplainer``, its rows split across worker processes.

    Parameters
    ----------
    estimator : tree ensemble
        A fitted model ``shap.TreeExplainer`` takes.
    n_jobs : int
        Worker processes; 1 explains in this process only.

    Attributes
    ----------
    expected_value : float or ndarray
        shap's expected value.
    details : list of str
        How the last call ran (how many workers, or why in one process).
    """

    def __init__(self, estimator: Any, n_jobs: int) -> None:
        import shap

        self.explainer = shap.TreeExplainer(estimator, feature_perturbation="tree_path_dependent")
        self.expected_value = self.explainer.expected_value
        self.n_jobs = n_jobs
        self.details: list[str] = []

    def _serial(self, matrix: np.ndarray) -> np.ndarray:
        """In this process, in chunks (a progress bar on long runs at a terminal)."""
        starts = range(0, len(matrix), _MAX_CHUNK)
        parts = (
            np.asarray(
                self.explainer.shap_values(matrix[at : at + _MAX_CHUNK], check_additivity=False)
            )
            for at in starts
        )
        found = list(_progress(parts, len(starts)))
        if not found:
            return np.asarray(self.explainer.shap_values(matrix, check_additivity=False))
        return np.concatenate(found)

    def shap_values(self, matrix: np.ndarray) -> np.ndarray:
        """SHAP values of every row of ``matrix``, equal to one ``shap_values`` call."""
        rows = len(matrix)
        if self.n_jobs <= 1 or rows < 2 * PROBE_ROWS:
            self.details = ["TreeSHAP ran in this process (n_jobs 1, or few rows)"]
            return self._serial(matrix)
        started = time.perf_counter()
        head = self._serial(matrix[:PROBE_ROWS])
        rest = matrix[PROBE_ROWS:]
        estimate = (time.perf_counter() - started) / PROBE_ROWS * len(rest)
        break_even = FORK_BREAK_EVEN_SECONDS if _can_fork() else SPAWN_BREAK_EVEN_SECONDS
        if estimate < break_even:
            self.details = [
                f"TreeSHAP ran in this process: the rows take about {estimate:.2f} s, less than "
                f"starting worker processes pays for ({break_even:g} s)"
            ]
            return np.concatenate([head, self._serial(rest)])
        workers = min(self.n_jobs, max(1, len(rest) // PROBE_ROWS))
        size = min(_MAX_CHUNK, max(PROBE_ROWS, -(-len(rest) // (workers * _CHUNKS_PER_WORKER))))
        chunks = [rest[start : start + size] for start in range(0, len(rest), size)]
        try:
            executor = _executor(self.explainer, workers)
            try:
                parts = list(_progress(executor.map(_explain_chunk, chunks), len(chunks)))
            finally:
                if isinstance(executor, ProcessPoolExecutor):
                    executor.shutdown(wait=True)
        except Exception as exc:  # no processes here (a daemon, a sandbox): one process
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            self.details = [
                f"TreeSHAP ran in this process: worker processes could not run ({reason})"
            ]
            return np.concatenate([head, self._serial(rest)])
        method = "forked" if _can_fork() else "loky"
        self.details = [
            f"TreeSHAP ran in {workers} {method} worker processes ({len(chunks)} chunks of up "
            f"to {size} rows; n_jobs from explain.n_jobs, ${N_JOBS_ENV} or the cores available)"
        ]
        return np.concatenate([head, *parts])


def tree_explainer(estimator: Any, n_jobs: int) -> Any:
    """LightGBM's own contributions for a LightGBM model, else :class:`TreeShap`."""
    from responsible_ai.explain._native import native_contributions

    native = native_contributions(estimator, n_jobs)
    return native if native is not None else TreeShap(estimator, n_jobs)
