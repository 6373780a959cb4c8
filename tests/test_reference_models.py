"""Tests for responsible_ai.reference_models."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from responsible_ai.datasets import SAMPLE_DATA_ENV, SampleDataset, load_sample
from responsible_ai.reference_models import (
    build_reference_model,
    reference_training_rows,
    save_reference_model,
    train_reference_model,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def _inputs(ds: SampleDataset) -> pd.DataFrame:
    """Rows to predict on: the test split for adult (to keep the tests fast), else everything."""
    data = ds.data[ds.data["split"] == "test"] if ds.name == "adult" else ds.data
    return data[ds.features]


@pytest.fixture(autouse=True, scope="module")
def _single_openmp_thread() -> Iterator[None]:
    # Predicting with HistGradientBoostingClassifier is OpenMP-parallel; on a busy machine with
    # few cores one thread is much faster than several spin-waiting ones.
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="module")
def trained() -> dict[str, tuple[Pipeline, SampleDataset]]:
    return {name: train_reference_model(name) for name in ("german_credit", "adult", "people")}


def _load_skops(path: Path) -> Pipeline:
    untrusted = sio.get_untrusted_types(file=path)
    model = sio.load(path, trusted=untrusted)
    assert isinstance(model, Pipeline)
    return model


@pytest.mark.parametrize("name", ["german_credit", "adult", "people"])
def test_build_reference_model_is_unfitted(name: str) -> None:
    model = build_reference_model(load_sample(name), random_state=3)
    assert isinstance(model, Pipeline)
    assert [step for step, _ in model.steps] == ["prepare", "model"]
    assert model.named_steps["model"].random_state == 3
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_build_reference_model_unknown_dataset() -> None:
    ds = load_sample("people")
    other = SampleDataset(
        name="other",
        data=ds.data,
        target=ds.target,
        positive_label=ds.positive_label,
        sensitive=ds.sensitive,
        features=ds.features,
        path=ds.path,
    )
    with pytest.raises(ValueError, match="german_credit"):
        build_reference_model(other)


def test_train_reference_model_unknown_name() -> None:
    with pytest.raises(ValueError, match="german_credit, adult, people"):
        train_reference_model("compas")


@pytest.mark.parametrize("name", ["german_credit", "adult", "people"])
def test_reference_model_predicts_both_classes(
    name: str, trained: dict[str, tuple[Pipeline, SampleDataset]]
) -> None:
    model, ds = trained[name]
    check_is_fitted(model)
    x = _inputs(ds)
    proba = model.predict_proba(x)
    assert proba.shape == (len(x), 2)
    predictions = model.classes_[proba.argmax(axis=1)]
    np.testing.assert_array_equal(predictions, model.predict(x))
    assert set(np.unique(predictions)) == set(ds.data[ds.target].unique())
    assert ds.positive_label in set(model.classes_)


def test_german_accuracy(trained: dict[str, tuple[Pipeline, SampleDataset]]) -> None:
    model, ds = trained["german_credit"]
    accuracy = float((model.predict(ds.data[ds.features]) == ds.data[ds.target]).mean())
    assert 0.7 < accuracy < 0.95
    for dropped in ("credit", "sex", "status_sex", "age_group"):
        assert dropped not in ds.features
    assert "age" in ds.features


def test_adult_trained_on_train_split(trained: dict[str, tuple[Pipeline, SampleDataset]]) -> None:
    model, ds = trained["adult"]
    mask = reference_training_rows(ds)
    assert int(mask.sum()) == 32561
    assert (ds.data.loc[mask, "split"] == "train").all()
    prepare = model.named_steps["prepare"]
    assert prepare.n_features_in_ == len(ds.features)
    test = ds.data[ds.data["split"] == "test"]
    accuracy = float((model.predict(test[ds.features]) == test[ds.target]).mean())
    assert 0.8 < accuracy < 0.95
    for dropped in ("fnlwgt", "sex", "race", "age_group", "income", "split"):
        assert dropped not in ds.features


def test_reference_training_is_deterministic(
    trained: dict[str, tuple[Pipeline, SampleDataset]],
) -> None:
    for name in ("german_credit", "people"):
        first, ds = trained[name]
        second, _ = train_reference_model(name)
        x = ds.data[ds.features]
        np.testing.assert_array_equal(first.predict_proba(x), second.predict_proba(x))


@pytest.mark.parametrize("name", ["german_credit", "adult", "people"])
def test_save_reference_model_round_trip(
    name: str, tmp_path: Path, trained: dict[str, tuple[Pipeline, SampleDataset]]
) -> None:
    path = save_reference_model(name, out_dir=tmp_path / "models")
    assert path == tmp_path / "models" / f"{name}.skops"
    assert sorted(p.name for p in path.parent.iterdir()) == [f"{name}.skops"]  # no temp files
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    loaded = _load_skops(path)
    # The saved model was trained separately from the fixture: identical predictions also show
    # that training is deterministic.
    model, ds = trained[name]
    x = _inputs(ds)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_save_reference_model_default_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = REPO_ROOT / "sample_data" / "people.csv"
    (tmp_path / "people.csv").write_bytes(source.read_bytes())
    monkeypatch.setenv(SAMPLE_DATA_ENV, str(tmp_path))
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    path = save_reference_model("people")
    # a user-writable cache, never next to the (possibly installed, read-only) sample data
    assert path == tmp_path / "home" / "models" / "people.skops"
    # Overwriting an existing file works too.
    assert save_reference_model("people") == path
    ds = load_sample("people")
    assert set(_load_skops(path).predict(ds.data[ds.features])) == {"yes", "no"}
    assert sorted(p.name for p in path.parent.iterdir()) == ["people.skops"]
