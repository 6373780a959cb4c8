"""Loaders for the sample data sets shipped in ``sample_data/``.

Three data sets are available (see ``sample_data/README.md`` for sources, licences and the
column dictionary):

``german_credit``
    UCI Statlog German Credit, 1,000 loan applicants, target ``credit`` ("good"/"bad").
``adult``
    UCI Adult (Census Income), 48,842 people, target ``income_over_50k`` (1/0), with a
    ``split`` column marking the original train and test files.
``people``
    A synthetic set of 5,000 people with direct identifiers (name, e-mail, phone, national id,
    address), quasi-identifiers and a loan decision ``loan_approved`` ("yes"/"no").

The CSV files are read with explicit dtypes: categorical and identifier columns are strings
(zip codes and ids keep their leading zeros), counts and amounts are ``int64``, and only empty
cells are treated as missing.

Examples
--------
>>> from responsible_ai.datasets import load_sample
>>> ds = load_sample("german_credit")
>>> ds.data.shape
(1000, 23)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from responsible_ai.resources import shipped_sample_data_dir

__all__ = [
    "SAMPLE_DATASETS",
    "SAMPLE_DATA_ENV",
    "SampleDataset",
    "load_adult",
    "load_german_credit",
    "load_people",
    "load_sample",
    "sample_data_dir",
]

#: Environment variable that overrides the location of the sample data directory.
SAMPLE_DATA_ENV = "RAI_SAMPLE_DATA"

#: Names accepted by :func:`load_sample`.
SAMPLE_DATASETS: tuple[str, ...] = ("german_credit", "adult", "people")


@dataclass(frozen=True)
class SampleDataset:
    """A sample data set together with the metadata an audit needs.

    Attributes
    ----------
    name : str
        ``"german_credit"``, ``"adult"`` or ``"people"``.
    data : pandas.DataFrame
        The whole table, one row per person.
    target : str
        Name of the outcome column.
    positive_label : object
        Value of ``target`` that counts as the favourable outcome.
    sensitive : list of str
        Protected / sensitive attribute columns used for fairness checks.
    features : list of str
        Model input columns used by the reference model
        (see :mod:`responsible_ai.reference_models`).
    path : pathlib.Path
        The CSV file the data was read from.
    direct_identifiers : list of str
        Columns that identify a person on their own (names, e-mails, ...).
    quasi_identifiers : list of str
        Columns that can identify a person in combination (birth date, zip code, ...).
    """

    name: str
    data: pd.DataFrame
    target: str
    positive_label: object
    sensitive: list[str]
    features: list[str]
    path: Path
    direct_identifiers: list[str] = field(default_factory=list)
    quasi_identifiers: list[str] = field(default_factory=list)


# Column dtypes of each CSV. "str" columns become pandas' default string dtype
# (``str`` on pandas >= 3, ``object`` before); "int64" columns must have no missing values.
_GERMAN_DTYPES: dict[str, str] = {
    "status": "str",
    "duration": "int64",
    "credit_history": "str",
    "purpose": "str",
    "credit_amount": "int64",
    "savings": "str",
    "present_employment": "str",
    "installment_rate": "int64",
    "status_sex": "str",
    "other_debtors": "str",
    "present_residence_since": "int64",
    "property": "str",
    "age": "int64",
    "installment_plans": "str",
    "housing": "str",
    "number_of_existing_credits": "int64",
    "job": "str",
    "number_of_people_liable_for": "int64",
    "telephone": "str",
    "foreign_worker": "str",
    "credit": "str",
    "sex": "str",
    "age_group": "str",
}

_ADULT_DTYPES: dict[str, str] = {
    "age": "int64",
    "workclass": "str",
    "fnlwgt": "int64",
    "education": "str",
    "education_num": "int64",
    "marital_status": "str",
    "occupation": "str",
    "relationship": "str",
    "race": "str",
    "sex": "str",
    "capital_gain": "int64",
    "capital_loss": "int64",
    "hours_per_week": "int64",
    "native_country": "str",
    "income": "str",
    "income_over_50k": "int64",
    "age_group": "str",
    "split": "str",
}

_PEOPLE_DTYPES: dict[str, str] = {
    "person_id": "str",
    "full_name": "str",
    "email": "str",
    "phone": "str",
    "national_id": "str",
    "street_address": "str",
    "birth_date": "str",
    "zip_code": "str",
    "sex": "str",
    "ethnicity": "str",
    "health_condition": "str",
    "annual_income": "int64",
    "years_employed": "int64",
    "loan_approved": "str",
}

_GERMAN_NOT_FEATURES = ("credit", "sex", "status_sex", "age_group")
_ADULT_NOT_FEATURES = (
    "fnlwgt",
    "income",
    "income_over_50k",
    "split",
    "sex",
    "race",
    "age_group",
)


def sample_data_dir() -> Path:
    """Return the directory that holds the sample CSV files.

    Returns
    -------
    pathlib.Path
        ``$RAI_SAMPLE_DATA`` if that environment variable is set and non-empty, otherwise
        the sample data shipped with the package
        (:func:`responsible_ai.resources.shipped_sample_data_dir`).

    Raises
    ------
    FileNotFoundError
        If ``$RAI_SAMPLE_DATA`` names no directory.
    InputError
        If the installed package lacks its sample data.
    """
    override = os.environ.get(SAMPLE_DATA_ENV)
    if not override:
        return shipped_sample_data_dir()
    path = Path(override).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(
            f"sample data directory not found: {path} (set by ${SAMPLE_DATA_ENV}). Set "
            f"${SAMPLE_DATA_ENV} to a directory holding german_credit.csv, adult.csv and "
            "people.csv, or unset it to use the sample data shipped with the package."
        )
    return path


def _read_csv(filename: str, dtypes: dict[str, str]) -> tuple[pd.DataFrame, Path]:
    path = sample_data_dir() / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"sample data file not found: {path}. Regenerate it with "
            "'python scripts/build_sample_data.py'."
        )
    # Only empty cells are missing: labels such as "none" must stay strings.
    data = pd.read_csv(
        path,
        dtype=dict(dtypes),
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8",
    )
    expected = list(dtypes)
    if list(data.columns) != expected:
        raise ValueError(
            f"{path}: unexpected columns {list(data.columns)}; expected {expected}. "
            "Regenerate it with 'python scripts/build_sample_data.py'."
        )
    return data, path


def load_german_credit() -> SampleDataset:
    """Load the UCI Statlog German Credit sample.

    Returns
    -------
    SampleDataset
        1,000 rows. Target ``credit`` with positive label ``"good"``; sensitive attributes
        ``sex`` and ``age_group`` (both derived, see ``sample_data/README.md``).
    """
    data, path = _read_csv("german_credit.csv", _GERMAN_DTYPES)
    features = [c for c in data.columns if c not in _GERMAN_NOT_FEATURES]
    return SampleDataset(
        name="german_credit",
        data=data,
        target="credit",
        positive_label="good",
        sensitive=["sex", "age_group"],
        features=features,
        path=path,
    )


def load_adult() -> SampleDataset:
    """Load the UCI Adult (Census Income) sample, train and test files stacked.

    Returns
    -------
    SampleDataset
        48,842 rows (``split`` is ``"train"`` for 32,561 of them and ``"test"`` for 16,281).
        Target ``income_over_50k`` with positive label ``1``; sensitive attributes ``sex`` and
        ``race``. ``workclass``, ``occupation`` and ``native_country`` have missing values
        (``?`` in the raw files).
    """
    data, path = _read_csv("adult.csv", _ADULT_DTYPES)
    features = [c for c in data.columns if c not in _ADULT_NOT_FEATURES]
    return SampleDataset(
        name="adult",
        data=data,
        target="income_over_50k",
        positive_label=1,
        sensitive=["sex", "race"],
        features=features,
        path=path,
        quasi_identifiers=[
            "age",
            "sex",
            "race",
            "native_country",
            "marital_status",
            "education",
            "occupation",
            "workclass",
        ],
    )


def load_people() -> SampleDataset:
    """Load the synthetic ``people`` data set (5,000 rows, generated with a fixed seed).

    Returns
    -------
    SampleDataset
        Target ``loan_approved`` with positive label ``"yes"``; sensitive attributes ``sex``
        and ``ethnicity``; ``health_condition`` is a sensitive (special-category) value for
        privacy checks. Direct identifiers: ``full_name``, ``email``, ``phone``,
        ``national_id``, ``street_address``. Quasi-identifiers: ``birth_date`` (ISO
        ``YYYY-MM-DD`` string), ``zip_code`` (5-character string), ``sex``.
    """
    data, path = _read_csv("people.csv", _PEOPLE_DTYPES)
    return SampleDataset(
        name="people",
        data=data,
        target="loan_approved",
        positive_label="yes",
        sensitive=["sex", "ethnicity"],
        features=["annual_income", "years_employed"],
        path=path,
        direct_identifiers=["full_name", "email", "phone", "national_id", "street_address"],
        quasi_identifiers=["birth_date", "zip_code", "sex"],
    )


_LOADERS: dict[str, Callable[[], SampleDataset]] = {
    "german_credit": load_german_credit,
    "adult": load_adult,
    "people": load_people,
}


def load_sample(name: str) -> SampleDataset:
    """Load a sample data set by name.

    Parameters
    ----------
    name : str
        One of :data:`SAMPLE_DATASETS`.

    Returns
    -------
    SampleDataset

    Raises
    ------
    ValueError
        If ``name`` is not a known sample data set.
    """
    try:
        loader = _LOADERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown sample dataset {name!r}; choose one of: {', '.join(SAMPLE_DATASETS)}"
        ) from None
    return loader()
