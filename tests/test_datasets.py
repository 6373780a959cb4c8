"""Tests for responsible_ai.datasets and scripts/build_sample_data.py.

The committed files in sample_data/ are enough for every test here. Checks against the raw UCI
files run only where they are available (``$RAI_RAW_DATASETS`` or ``../shared/datasets`` next to
the repository) and are skipped otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from responsible_ai.datasets import (
    SAMPLE_DATA_ENV,
    SAMPLE_DATASETS,
    SampleDataset,
    load_adult,
    load_german_credit,
    load_people,
    load_sample,
    sample_data_dir,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "sample_data"
SCRIPT = REPO_ROOT / "scripts" / "build_sample_data.py"
RAW_DIR = Path(os.environ.get("RAI_RAW_DATASETS", REPO_ROOT.parent / "shared" / "datasets"))
HAVE_RAW = (RAW_DIR / "german" / "german.data").is_file() and (
    RAW_DIR / "adult" / "adult.data"
).is_file()
needs_raw = pytest.mark.skipif(not HAVE_RAW, reason=f"raw UCI files not found in {RAW_DIR}")

GERMAN_COLUMNS = [
    "status",
    "duration",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "present_employment",
    "installment_rate",
    "status_sex",
    "other_debtors",
    "present_residence_since",
    "property",
    "age",
    "installment_plans",
    "housing",
    "number_of_existing_credits",
    "job",
    "number_of_people_liable_for",
    "telephone",
    "foreign_worker",
    "credit",
    "sex",
    "age_group",
]
ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
    "income_over_50k",
    "age_group",
    "split",
]
PEOPLE_COLUMNS = [
    "person_id",
    "full_name",
    "email",
    "phone",
    "national_id",
    "street_address",
    "birth_date",
    "zip_code",
    "sex",
    "ethnicity",
    "health_condition",
    "annual_income",
    "years_employed",
    "loan_approved",
]


@pytest.fixture(scope="module")
def german() -> SampleDataset:
    return load_german_credit()


@pytest.fixture(scope="module")
def adult() -> SampleDataset:
    return load_adult()


@pytest.fixture(scope="module")
def people() -> SampleDataset:
    return load_people()


def _is_text(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series)) and not pd.api.types.is_numeric_dtype(series)


# ---------------------------------------------------------------------------------------------
# Loader API
# ---------------------------------------------------------------------------------------------


def test_sample_datasets_names() -> None:
    assert SAMPLE_DATASETS == ("german_credit", "adult", "people")
    for name in SAMPLE_DATASETS:
        assert (SAMPLE_DIR / f"{name}.csv").is_file()


@pytest.mark.parametrize("name", SAMPLE_DATASETS)
def test_load_sample_metadata_is_consistent(name: str) -> None:
    ds = load_sample(name)
    assert ds.name == name
    assert ds.path == sample_data_dir() / f"{name}.csv"
    columns = set(ds.data.columns)
    assert ds.target in columns
    assert ds.target not in ds.features
    for group in (ds.features, ds.sensitive, ds.direct_identifiers, ds.quasi_identifiers):
        assert set(group) <= columns
    assert set(ds.sensitive).isdisjoint(ds.features)
    assert set(ds.direct_identifiers).isdisjoint(ds.features)
    assert ds.positive_label in set(ds.data[ds.target])
    assert ds.data[ds.target].nunique() == 2


def test_load_sample_unknown_name_lists_names() -> None:
    with pytest.raises(ValueError, match="german_credit, adult, people"):
        load_sample("compas")


def test_sample_data_dir_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "people.csv").write_bytes((SAMPLE_DIR / "people.csv").read_bytes())
    monkeypatch.setenv(SAMPLE_DATA_ENV, str(tmp_path))
    assert sample_data_dir() == tmp_path
    assert load_people().path == tmp_path / "people.csv"
    with pytest.raises(FileNotFoundError, match=r"build_sample_data\.py"):
        load_adult()


def test_sample_data_dir_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SAMPLE_DATA_ENV, str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match=SAMPLE_DATA_ENV):
        sample_data_dir()


def test_default_sample_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SAMPLE_DATA_ENV, raising=False)
    assert sample_data_dir() == SAMPLE_DIR


# ---------------------------------------------------------------------------------------------
# German credit
# ---------------------------------------------------------------------------------------------


def test_german_shape_and_dtypes(german: SampleDataset) -> None:
    df = german.data
    assert df.shape == (1000, 23)
    assert list(df.columns) == GERMAN_COLUMNS
    assert german.target == "credit"
    assert german.positive_label == "good"
    assert german.sensitive == ["sex", "age_group"]
    excluded = {"credit", "sex", "status_sex", "age_group"}
    assert german.features == [c for c in GERMAN_COLUMNS if c not in excluded]
    assert "age" in german.features
    numeric = {
        "duration",
        "credit_amount",
        "installment_rate",
        "present_residence_since",
        "age",
        "number_of_existing_credits",
        "number_of_people_liable_for",
    }
    for column in GERMAN_COLUMNS:
        if column in numeric:
            assert df[column].dtype == np.int64, column
        else:
            assert _is_text(df[column]), column
    assert not df.isna().any().any()


def test_german_labels_are_short_and_decoded(german: SampleDataset) -> None:
    df = german.data
    assert df["credit"].value_counts().to_dict() == {"good": 700, "bad": 300}
    assert set(df["status"]) == {"< 0 DM", "0-200 DM", ">= 200 DM", "no checking account"}
    assert set(df["telephone"]) == {"yes", "no"}
    assert set(df["foreign_worker"]) == {"yes", "no"}
    for column in df.columns:
        if _is_text(df[column]):
            values = df[column].unique()
            assert not any(re.fullmatch(r"A\d+", v) for v in values), column
            assert all(len(v) <= 40 and "," not in v and '"' not in v for v in values), column


def test_german_derived_columns(german: SampleDataset) -> None:
    df = german.data
    female = df["status_sex"].str.startswith("female")
    assert (df["sex"] == np.where(female, "female", "male")).all()
    assert df["sex"].value_counts().to_dict() == {"male": 690, "female": 310}
    assert (df["age_group"] == np.where(df["age"] < 25, "under 25", "25 and over")).all()


@needs_raw
def test_german_matches_raw_file(german: SampleDataset) -> None:
    rows = [line.split() for line in (RAW_DIR / "german" / "german.data").read_text().splitlines()]
    raw = pd.DataFrame(rows, columns=GERMAN_COLUMNS[:21])
    maps = json.loads((RAW_DIR / "german" / "values_maps.json").read_text())
    df = german.data
    for column in GERMAN_COLUMNS[:21]:
        if column in maps:
            # Each code decodes to exactly one label, and different codes to different labels.
            pairs = pd.DataFrame({"code": raw[column], "label": df[column]}).drop_duplicates()
            assert pairs["code"].is_unique and pairs["label"].is_unique, column
            assert set(pairs["code"]) <= set(maps[column]), column
        else:
            assert (raw[column].astype("int64") == df[column]).all(), column
    assert (df["credit"] == raw["credit"].map({"1": "good", "2": "bad"})).all()
    assert (df["telephone"] == raw["telephone"].map({"A191": "no", "A192": "yes"})).all()
    assert (df["foreign_worker"] == raw["foreign_worker"].map({"A201": "yes", "A202": "no"})).all()
    assert (df["sex"] == np.where(raw["status_sex"] == "A92", "female", "male")).all()
    assert "A95" not in set(raw["status_sex"])


# ---------------------------------------------------------------------------------------------
# Adult
# ---------------------------------------------------------------------------------------------


def test_adult_shape_and_dtypes(adult: SampleDataset) -> None:
    df = adult.data
    assert df.shape == (48842, 18)
    assert list(df.columns) == ADULT_COLUMNS
    assert adult.target == "income_over_50k"
    assert adult.positive_label == 1
    assert adult.sensitive == ["sex", "race"]
    assert adult.features == [
        "age",
        "workclass",
        "education",
        "education_num",
        "marital_status",
        "occupation",
        "relationship",
        "capital_gain",
        "capital_loss",
        "hours_per_week",
        "native_country",
    ]
    assert adult.quasi_identifiers == [
        "age",
        "sex",
        "race",
        "native_country",
        "marital_status",
        "education",
        "occupation",
        "workclass",
    ]
    assert adult.direct_identifiers == []
    for column in ("age", "fnlwgt", "education_num", "capital_gain", "capital_loss"):
        assert df[column].dtype == np.int64
    assert df["income_over_50k"].dtype == np.int64
    for column in ("workclass", "education", "sex", "race", "native_country", "income", "split"):
        assert _is_text(df[column]), column


def test_adult_derived_columns(adult: SampleDataset) -> None:
    df = adult.data
    assert df["split"].value_counts().to_dict() == {"train": 32561, "test": 16281}
    assert (df["split"].iloc[:32561] == "train").all()
    assert set(df["income"]) == {"<=50K", ">50K"}
    assert (df["income_over_50k"] == (df["income"] == ">50K").astype("int64")).all()
    assert df["income_over_50k"].sum() == 11687
    expected_group = np.select(
        [df["age"] < 25, df["age"] < 45, df["age"] < 65],
        ["under 25", "25-44", "45-64"],
        "65 and over",
    )
    assert (df["age_group"] == expected_group).all()


def test_adult_missing_values(adult: SampleDataset) -> None:
    df = adult.data
    missing = df.isna().sum()
    assert set(missing[missing > 0].index) == {"workclass", "occupation", "native_country"}
    assert missing["workclass"] == 2799
    assert missing["occupation"] == 2809
    assert missing["native_country"] == 857
    for column in df.columns:
        if _is_text(df[column]):
            values = df[column].dropna()
            assert not (values == "?").any(), column
            assert not values.str.startswith(" ").any(), column


@needs_raw
def test_adult_matches_raw_files(adult: SampleDataset) -> None:
    names = ADULT_COLUMNS[:15]
    frames = []
    for filename, skip in (("adult.data", 0), ("adult.test", 1)):
        frames.append(
            pd.read_csv(
                RAW_DIR / "adult" / filename,
                header=None,
                names=names,
                skiprows=skip,
                skipinitialspace=True,
                dtype=str,
                keep_default_na=False,
            )
        )
    raw = pd.concat(frames, ignore_index=True)
    df = adult.data
    assert len(raw) == len(df)
    for column in names:
        if column == "income":
            assert (raw[column].str.rstrip(".") == df[column]).all()
        elif df[column].dtype == np.int64:
            assert (raw[column].astype("int64") == df[column]).all(), column
        else:
            assert ((raw[column] == "?") == df[column].isna()).all(), column
            present = raw[column] != "?"
            assert (raw.loc[present, column] == df.loc[present, column]).all(), column


# ---------------------------------------------------------------------------------------------
# People (synthetic)
# ---------------------------------------------------------------------------------------------


def test_people_shape_and_dtypes(people: SampleDataset) -> None:
    df = people.data
    assert df.shape == (5000, 14)
    assert list(df.columns) == PEOPLE_COLUMNS
    assert people.target == "loan_approved"
    assert people.positive_label == "yes"
    assert people.sensitive == ["sex", "ethnicity"]
    assert people.features == ["annual_income", "years_employed"]
    assert people.direct_identifiers == [
        "full_name",
        "email",
        "phone",
        "national_id",
        "street_address",
    ]
    assert people.quasi_identifiers == ["birth_date", "zip_code", "sex"]
    for column in PEOPLE_COLUMNS:
        if column in ("annual_income", "years_employed"):
            assert df[column].dtype == np.int64, column
        else:
            assert _is_text(df[column]), column
    assert not df.isna().any().any()


def test_people_identifier_formats(people: SampleDataset) -> None:
    df = people.data
    assert df["person_id"].tolist() == [f"P{i:05d}" for i in range(1, 5001)]
    for column in ("email", "phone", "national_id"):
        assert df[column].is_unique, column
    assert df["full_name"].str.fullmatch(r"[A-Z][A-Za-z]+ [A-Z][A-Za-z]+").all()
    assert df["full_name"].duplicated().any()  # names repeat, as in real data
    assert df["email"].str.fullmatch(r"[a-z_.]+\d+@[a-z]+\.com").all()
    assert df["phone"].str.fullmatch(r"\+1 \d{3}-555-\d{4}").all()
    assert df["national_id"].str.fullmatch(r"\d{3}-\d{2}-\d{4}").all()
    area = df["national_id"].str[:3]
    assert not area.isin(["000", "666"]).any()
    assert not area.str.startswith("9").any()
    assert not (df["national_id"].str[4:6] == "00").any()
    assert not (df["national_id"].str[7:] == "0000").any()
    assert df["street_address"].str.fullmatch(r"\d{1,4} [A-Z][a-z]+ [A-Z][a-z]+").all()


def test_people_quasi_identifiers(people: SampleDataset) -> None:
    df = people.data
    births = pd.to_datetime(df["birth_date"], format="%Y-%m-%d")
    assert births.min() >= pd.Timestamp("1940-01-01")
    assert births.max() <= pd.Timestamp("2006-12-31")
    assert df["zip_code"].str.fullmatch(r"\d{5}").all()
    assert df["zip_code"].str.startswith("0").any()  # leading zeros survive the round trip
    assert 140 <= df["zip_code"].nunique() <= 160
    assert 3 <= df["zip_code"].str[:3].nunique() <= 10
    assert set(df["sex"]) == {"female", "male"}


def test_people_distributions(people: SampleDataset) -> None:
    df = people.data
    health = df["health_condition"].value_counts(normalize=True)
    assert set(health.index) == {
        "none",
        "hypertension",
        "asthma",
        "diabetes",
        "depression",
        "cancer",
    }
    assert health.idxmax() == "none"
    assert health["cancer"] == health.min()
    assert df["ethnicity"].nunique() >= 4
    assert (df["annual_income"] > 0).all()
    assert (df["years_employed"] >= 0).all()
    rate = (df["loan_approved"] == "yes").mean()
    assert 0.4 < rate < 0.8
    # The outcome depends on income and (modestly) on ethnicity, so fairness checks find a gap.
    approved = df["loan_approved"] == "yes"
    assert df.loc[approved, "annual_income"].median() > df.loc[~approved, "annual_income"].median()
    by_group = approved.groupby(df["ethnicity"]).mean()
    assert 0.05 < by_group.max() - by_group.min() < 0.4


# ---------------------------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------------------------


def _run_generator(*args: str) -> None:
    """Run scripts/build_sample_data.py in this process (saves starting a new interpreter)."""
    spec = importlib.util.spec_from_file_location("build_sample_data", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(list(args)) == 0


def test_generator_reproduces_people(tmp_path: Path) -> None:
    # people.csv needs nothing but the script itself.
    _run_generator("--out", str(tmp_path), "--only", "people")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.csv"]
    assert (tmp_path / "people.csv").read_bytes() == (SAMPLE_DIR / "people.csv").read_bytes()


@needs_raw
def test_generator_reproduces_uci_files(tmp_path: Path) -> None:
    _run_generator(
        "--out", str(tmp_path), "--source", str(RAW_DIR), "--only", "german_credit", "adult"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adult.csv", "german_credit.csv"]
    for name in ("german_credit.csv", "adult.csv"):
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name
