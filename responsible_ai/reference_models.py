"""Reference models for the sample data sets.

Each sample data set (:mod:`responsible_ai.datasets`) has one deterministic scikit-learn
pipeline that the demos and tests audit. Every pipeline has two steps, ``"prepare"`` (a
``ColumnTransformer``) and ``"model"`` (the classifier), and takes ``dataset.features`` as input:

``german_credit``
    One-hot encoded categoricals and standardized numerics, ``LogisticRegression``; trained on
    all 1,000 rows.
``adult``
    Categoricals imputed with ``"missing"`` and one-hot encoded (rare levels grouped), numerics
    passed through, ``HistGradientBoostingClassifier``; trained on the ``train`` split only.
``people``
    Standardized ``annual_income`` and ``years_employed``, ``LogisticRegression``; trained on all
    rows.

Models are saved with :func:`skops.io.dump`; load them with :func:`responsible_ai.load_model`,
whose allowlist covers every type they hold (no ``--trust-model`` needed).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from responsible_ai._atomic import write_bytes_atomic
from responsible_ai.datasets import SAMPLE_DATASETS, SampleDataset, load_sample
from responsible_ai.resources import models_dir

__all__ = [
    "HOLDOUT_RANGE",
    "build_reference_model",
    "reference_training_rows",
    "save_holdout_split",
    "save_reference_model",
    "train_reference_model",
]

HOLDOUT_RANGE = "holdout must be a fraction in (0, 0.9]; got {value}"

_FIT_OPENMP_THREADS = 1


def _split_columns(dataset: SampleDataset) -> tuple[list[str], list[str]]:
    """Split ``dataset.features`` into (categorical, numeric) by dtype, keeping their order."""
    numeric = [c for c in dataset.features if pd.api.types.is_numeric_dtype(dataset.data[c])]
    categorical = [c for c in dataset.features if c not in numeric]
    return categorical, numeric


def build_reference_model(dataset: SampleDataset, random_state: int = 0) -> Pipeline:
    """Build the (unfitted) reference pipeline for a sample data set.

    Parameters
    ----------
    dataset : SampleDataset
        A data set returned by :func:`responsible_ai.datasets.load_sample`.
    random_state : int, default 0
        Seed passed to every estimator that accepts one.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Unfitted pipeline with steps ``"prepare"`` and ``"model"``; fit it on
        ``dataset.data[dataset.features]``.

    Raises
    ------
    ValueError
        If ``dataset.name`` is not a known sample data set.
    """
    categorical, numeric = _split_columns(dataset)
    if dataset.name == "german_credit":
        prepare = ColumnTransformer(
            [
                (
                    "categorical",
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                    categorical,
                ),
                ("numeric", StandardScaler(), numeric),
            ]
        )
        model: LogisticRegression | HistGradientBoostingClassifier = LogisticRegression(
            max_iter=1000, random_state=random_state
        )
    elif dataset.name == "adult":
        categorical_branch = Pipeline(
            [
                ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                (
                    "encode",
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False, min_frequency=20),
                ),
            ]
        )
        prepare = ColumnTransformer(
            [
                ("categorical", categorical_branch, categorical),
                ("numeric", "passthrough", numeric),
            ]
        )
        model = HistGradientBoostingClassifier(random_state=random_state)
    elif dataset.name == "people":
        prepare = ColumnTransformer([("numeric", StandardScaler(), numeric)])
        model = LogisticRegression(max_iter=1000, random_state=random_state)
    else:
        raise ValueError(
            f"no reference model for {dataset.name!r}; choose one of: {', '.join(SAMPLE_DATASETS)}"
        )
    return Pipeline([("prepare", prepare), ("model", model)])


def reference_training_rows(
    dataset: SampleDataset, holdout: float = 0.0, random_state: int = 0
) -> pd.Series:
    """Boolean mask of the rows the reference model is trained on.

    Parameters
    ----------
    dataset : SampleDataset
    holdout : float, default 0.0
        Share of the rows held out from training (seeded, stratified by the target), for the
        membership-inference check, which needs rows the model has not seen. Ignored for
        ``adult``, which has its own split.
    random_state : int, default 0
        Seed of the held-out draw.

    Returns
    -------
    pandas.Series
        ``split == "train"`` for ``adult``; every row, or all but the held-out share, for the
        other data sets.
    """
    if dataset.name == "adult":
        return dataset.data["split"] == "train"
    if not holdout:
        return pd.Series(True, index=dataset.data.index)
    if not 0 < holdout <= 0.9:
        raise ValueError(HOLDOUT_RANGE.format(value=holdout))
    from sklearn.model_selection import train_test_split

    _, held = train_test_split(
        dataset.data.index,
        test_size=holdout,
        random_state=random_state,
        stratify=dataset.data[dataset.target],
    )
    return pd.Series(~dataset.data.index.isin(held), index=dataset.data.index)


def train_reference_model(
    name: str, random_state: int = 0, holdout: float = 0.0
) -> tuple[Pipeline, SampleDataset]:
    """Load a sample data set and fit its reference model.

    Parameters
    ----------
    name : str
        One of :data:`responsible_ai.datasets.SAMPLE_DATASETS`.
    random_state : int, default 0
        Seed passed to every estimator that accepts one.
    holdout : float, default 0.0
        Share of rows left out of training (see :func:`reference_training_rows`).

    Returns
    -------
    tuple of (sklearn.pipeline.Pipeline, SampleDataset)
        The fitted pipeline and the data set it was trained on. German credit and people are
        fitted on all rows, adult on its ``train`` split (see :func:`reference_training_rows`).

    Notes
    -----
    Fitting uses a single OpenMP thread (the result is the same with more threads; it is only
    more predictable in time on a busy machine).
    """
    dataset = load_sample(name)
    pipeline = build_reference_model(dataset, random_state=random_state)
    rows = dataset.data.loc[reference_training_rows(dataset, holdout, random_state)]
    # One OpenMP thread: the models are small (adult takes a few seconds), and on a busy machine
    # with few cores OpenMP's spin-waiting threads can make multi-threaded fitting of
    # HistGradientBoostingClassifier many times slower. The fitted model does not depend on it.
    with threadpool_limits(limits=_FIT_OPENMP_THREADS, user_api="openmp"):
        pipeline.fit(rows[dataset.features], rows[dataset.target])
    return pipeline, dataset


def save_reference_model(name: str, out_dir: Path | None = None, random_state: int = 0) -> Path:
    """Train the reference model of a sample data set and save it with skops.

    The file is written atomically: to a temporary file in ``out_dir`` that is then renamed,
    so a reader never sees a partly written model.

    Parameters
    ----------
    name : str
        One of :data:`responsible_ai.datasets.SAMPLE_DATASETS`.
    out_dir : pathlib.Path, optional
        Directory to write to (created if needed). Defaults to
        :func:`responsible_ai.resources.models_dir` (``$RAI_HOME/models``).
    random_state : int, default 0
        Seed passed to every estimator that accepts one.

    Returns
    -------
    pathlib.Path
        Path of the written ``<out_dir>/<name>.skops`` file.
    """
    pipeline, _ = train_reference_model(name, random_state=random_state)
    directory = Path(out_dir) if out_dir is not None else models_dir()
    directory.mkdir(parents=True, exist_ok=True)
    import skops.io as sio  # imported here: it loads every scikit-learn module (seconds)

    return write_bytes_atomic(directory / f"{name}.skops", sio.dumps(pipeline))


def save_holdout_split(
    name: str, out_dir: Path | None = None, holdout: float = 0.3, random_state: int = 0
) -> list[Path]:
    """Train the reference model on all but a held-out share and save model, train and held-out.

    The security pack's membership-inference check needs the training data (``--train``) and
    rows the model has not seen (the audited data). Files, written atomically: ``<name>-holdout
    .skops``, ``<name>-train.csv`` and ``<name>-holdout.csv``.

    Parameters
    ----------
    name : str
        ``german_credit`` or ``people`` (``adult`` has its own split: use its ``split`` column).
    out_dir : pathlib.Path, optional
        Directory (default :func:`responsible_ai.resources.models_dir`).
    holdout : float, default 0.3
        Share of rows held out, stratified by the target.
    random_state : int, default 0
        Seed of the split and the estimators.

    Returns
    -------
    list of pathlib.Path
        The model file, the training rows, the held-out rows.
    """
    if name == "adult":
        raise ValueError("adult has its own split: audit split == 'test' with --train on 'train'")
    pipeline, dataset = train_reference_model(name, random_state=random_state, holdout=holdout)
    mask = reference_training_rows(dataset, holdout, random_state)
    directory = Path(out_dir) if out_dir is not None else models_dir()
    directory.mkdir(parents=True, exist_ok=True)
    import skops.io as sio

    written = [write_bytes_atomic(directory / f"{name}-holdout.skops", sio.dumps(pipeline))]
    for suffix, rows in (("train", mask), ("holdout", ~mask)):
        text = dataset.data.loc[rows].to_csv(index=False)
        written.append(write_bytes_atomic(directory / f"{name}-{suffix}.csv", text.encode()))
    return written
