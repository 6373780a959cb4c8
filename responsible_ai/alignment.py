"""Align data to what a model was fitted on, before it predicts.

A CSV does not carry types: digit categories a pipeline's ``OneHotEncoder`` learnt as text
(``"1"``, ``"2"``) come back as integers, ZIP codes kept as text meet a model fitted on numbers, a
pandas ``category`` column meets an encoder fitted on plain strings. scikit-learn then fails with
a message naming nothing (``ufunc 'isnan' not supported``) or, worse, treats every value as
unknown. Here the fitted model is inspected (its ``ColumnTransformer`` columns, the
``categories_`` of its encoders, ``feature_names_in_``), each column the model takes is converted
to what the model expects, with a data note naming it, and a column that cannot be converted is
refused with one line naming the column, the dtype found and the dtype expected.

Every place that predicts calls :func:`align_to_model`: the audit, ``explain`` (the app's
Explanations page and ``rai explain``) and the releases that audit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError

__all__ = [
    "ALIGNED",
    "MISSING_CATEGORY",
    "NOT_A_CATEGORY",
    "NOT_A_NUMBER",
    "align_to_model",
    "expected_inputs",
]

NOT_A_CATEGORY = (
    "column {column!r} does not fit the model: found {found} with the value {value!r}, expected "
    "{expected}, one of the categories the model was fitted on ({categories}); fix the value or "
    "refit the model on data that has it"
)
NOT_A_NUMBER = (
    "column {column!r} does not fit the model: found {found} with the value {value!r}, expected "
    "{expected} (the model was fitted on numbers); give numbers in this column"
)
MISSING_CATEGORY = (
    "column {column!r} has {count} missing value(s), but the model was fitted without missing "
    "values in it (categories {categories}); fill or drop those rows"
)
ALIGNED = (
    "column {column!r} was {found} in the data; converted to {expected} to match the model ({why})"
)

_ENCODERS = ("OneHotEncoder", "OrdinalEncoder", "TargetEncoder")
# Transformers that compute on numbers: text reaching them is an error, not a category.
_NUMERIC = frozenset(
    {
        "StandardScaler",
        "MinMaxScaler",
        "MaxAbsScaler",
        "RobustScaler",
        "Normalizer",
        "PowerTransformer",
        "QuantileTransformer",
        "KBinsDiscretizer",
        "PolynomialFeatures",
        "SplineTransformer",
        "Binarizer",
    }
)
_SHOWN = 6
_CLIP = 60
_INFERRED = {"string": "text (str)", "integer": "int64", "floating": "float64", "empty": "empty"}
_UNMATCHED = object()


@dataclass(frozen=True)
class Expected:
    """What the model expects of one input column.

    ``kind`` is ``"categories"`` (an encoder's fitted ``categories``; ``strict`` when its
    ``handle_unknown`` is ``"error"``), or ``"numbers"`` (``strict`` when a numeric transformer
    or a scikit-learn estimator takes the column directly; otherwise text is converted only
    when every value is a number).
    """

    kind: str
    strict: bool
    categories: tuple[Any, ...] = ()
    where: str = ""
    imputed: bool = False
    """Whether an imputer fills missing values before the encoder sees them."""


def expected_inputs(model: Any) -> dict[str, Expected]:
    """What a fitted model expects of each input column it can be seen to use.

    Understands scikit-learn ``Pipeline``, ``ColumnTransformer``, ``OneHotEncoder``,
    ``OrdinalEncoder``, numeric transformers, and bare estimators with ``feature_names_in_``;
    anything else (a wrapper, another library's pipeline) expects nothing and is left alone.
    """
    names = [str(c) for c in getattr(model, "feature_names_in_", [])]
    return _expected(model, names, top=True)


def _expected(step: Any, columns: list[str], top: bool = False) -> dict[str, Expected]:
    kind = type(step).__name__
    if step is None or isinstance(step, str):
        soft = Expected("numbers", strict=False, where="passthrough")
        return dict.fromkeys(columns, soft) if step == "passthrough" else {}
    if kind == "Pipeline":
        inner = [s for _, s in getattr(step, "steps", []) if s is not None and s != "passthrough"]
        for index, candidate in enumerate(inner):  # an imputer may precede the encoder
            if type(candidate).__name__ in (*_ENCODERS, "ColumnTransformer"):
                wanted = _expected(candidate, _input_names(inner[0], columns))
                if any(type(s).__name__.endswith("Imputer") for s in inner[:index]):
                    wanted = {name: replace(want, imputed=True) for name, want in wanted.items()}
                return wanted
        return _expected(inner[0], columns, top) if inner else {}
    if kind == "ColumnTransformer":
        names = [str(c) for c in getattr(step, "feature_names_in_", columns)]
        found: dict[str, Expected] = {}
        for _, transformer, selected in getattr(step, "transformers_", []):
            found |= _expected(transformer, _selected(selected, names))
        return found
    if kind in _ENCODERS and hasattr(step, "categories_"):
        strict = getattr(step, "handle_unknown", "error") == "error"
        names = _input_names(step, columns)
        return {
            name: Expected("categories", strict, tuple(categories.tolist()), kind)
            for name, categories in zip(names, step.categories_, strict=False)
        }
    if kind in _NUMERIC or (kind == "SimpleImputer" and step.strategy in ("mean", "median")):
        return dict.fromkeys(_input_names(step, columns), Expected("numbers", True, where=kind))
    if top and type(step).__module__.startswith("sklearn.") and hasattr(step, "predict"):
        return dict.fromkeys(columns, Expected("numbers", True, where=kind))
    return {}


def _input_names(step: Any, columns: list[str]) -> list[str]:
    names = getattr(step, "feature_names_in_", None)
    return [str(c) for c in names] if names is not None else list(columns)


def _selected(selected: Any, names: list[str]) -> list[str]:
    """A ColumnTransformer's column selection as names (names, indices or a boolean mask)."""
    if isinstance(selected, str):
        return [selected]
    if isinstance(selected, slice):
        return names[selected]
    values = list(np.asarray(selected).tolist()) if not callable(selected) else []
    if values and all(isinstance(v, bool) for v in values):
        return [name for name, keep in zip(names, values, strict=False) if keep]
    return [names[v] if isinstance(v, int) and v < len(names) else str(v) for v in values]


def align_to_model(
    model: Any, frame: pd.DataFrame, features: list[str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with the columns the model takes converted to what it was fitted on.

    Parameters
    ----------
    model : estimator
        The fitted model or pipeline.
    frame : DataFrame
        The data; columns the model does not take are returned unchanged.
    features : list of str, optional
        The model's input columns; default every column of ``frame``.

    Returns
    -------
    (DataFrame, list of str)
        The aligned frame (``frame`` itself when nothing changed) and one data note per
        converted column.

    Raises
    ------
    InputError
        A value that is not among the fitted categories of an encoder with
        ``handle_unknown='error'``, or text where the model expects numbers, naming the column,
        the dtype found and the dtype expected.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.preprocessing import OrdinalEncoder
    >>> encoder = OrdinalEncoder().fit(pd.DataFrame({"rate": ["1", "2"]}))
    >>> aligned, notes = align_to_model(encoder, pd.DataFrame({"rate": [2, 1]}))
    >>> aligned["rate"].tolist()
    ['2', '1']
    """
    columns = [str(c) for c in (features if features is not None else frame.columns)]
    expected = expected_inputs(model)
    converted: dict[str, pd.Series] = {}
    notes: list[str] = []
    for column in columns:
        if column not in expected or column not in frame.columns:
            continue
        want = expected[column]
        series = frame[column]
        if want.kind == "categories":
            result = _to_categories(column, series, want)
        else:
            result = _to_numbers(column, series, want)
        if result is not None:
            converted[column] = result
            notes.append(_note(column, series, result, want))
    if not converted:
        return frame, notes
    return frame.assign(**converted), notes


def _note(column: str, before: pd.Series, after: pd.Series, want: Expected) -> str:
    if want.kind == "categories":
        why = f"{_dtype_of(want.categories)} categories of its {want.where}"
    else:
        why = f"numbers ({want.where})"
    found, expected = _dtype(before), _dtype(after)
    return ALIGNED.format(column=_clip(column), found=found, expected=expected, why=why)


def _dtype(series: pd.Series) -> str:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return "category"
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        return _INFERRED.get(inferred, f"object ({inferred})")
    return str(series.dtype)


def _dtype_of(values: tuple[Any, ...]) -> str:
    known = [v for v in values if not _missing(v)]
    if known and all(isinstance(v, str) for v in known):
        return "text (str)"
    if known and all(_is_number(v) for v in known):
        return "int64" if all(float(v).is_integer() for v in known) else "float64"
    return "object"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _number_key(value: Any) -> str | None:
    """A number, or text spelling one, as one canonical string: ``1.0`` and ``"01"`` give ``1``."""
    if _is_number(value):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if not np.isfinite(number):
        return None
    return str(int(number)) if number.is_integer() else repr(number)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _exact(value: Any) -> tuple[str, Any]:
    """A value as the encoder compares it: 1 and 1.0 are one number, "1" is text."""
    value = _plain(value)
    if _is_number(value):
        return ("number", float(value))
    return (type(value).__name__, value)


def _to_categories(column: str, series: pd.Series, want: Expected) -> pd.Series | None:
    known = [_plain(c) for c in want.categories if not _missing(c)]
    categorical = isinstance(series.dtype, pd.CategoricalDtype)
    values = series.astype(object) if categorical else series
    present = values[values.notna()]
    distinct = [_plain(v) for v in pd.unique(present.astype(object))]
    exact = {_exact(c): c for c in known}
    missing = int(values.isna().sum())
    if missing and want.strict and not want.imputed and len(known) == len(want.categories):
        categories = _shown(known)
        raise InputError(
            MISSING_CATEGORY.format(column=_clip(column), count=missing, categories=categories)
        )
    if not categorical and all(_exact(v) in exact for v in distinct):
        return None
    by_number: dict[str, Any] = {}
    for category in known:
        key = _number_key(category)
        if key is not None:
            by_number[key] = _UNMATCHED if key in by_number else category  # ambiguous: no match
    text_categories = bool(known) and all(isinstance(c, str) for c in known)
    mapping: dict[Any, Any] = {}
    for value in distinct:
        match = exact.get(_exact(value), _UNMATCHED)
        if match is _UNMATCHED:
            key = _number_key(value)
            match = by_number.get(key, _UNMATCHED) if key is not None else _UNMATCHED
        if match is _UNMATCHED:
            if want.strict:
                raise InputError(
                    NOT_A_CATEGORY.format(
                        column=_clip(column),
                        found=_dtype(series),
                        value=_clip(value),
                        expected=_dtype_of(want.categories),
                        categories=_shown(known),
                    )
                )
            match = _unknown_as(value, text_categories, column, series)
        mapping[value] = match
    converted = [
        mapping[_plain(v)] if not _missing(v) and v is not pd.NA else np.nan for v in values
    ]
    result = pd.Series(converted, index=series.index, dtype=object)
    if text_categories or not known:
        return result
    return pd.to_numeric(result)  # int64 or float64, as the categories


def _unknown_as(value: Any, text_categories: bool, column: str, series: pd.Series) -> Any:
    """A value the encoder will treat as unknown, in the type of its categories."""
    if text_categories:
        key = _number_key(value)
        return key if key is not None and not isinstance(value, str) else str(value)
    key = _number_key(value)
    if key is None:
        raise InputError(
            NOT_A_NUMBER.format(
                column=_clip(column), found=_dtype(series), value=_clip(value), expected="number"
            )
        )
    return float(key)


def _to_numbers(column: str, series: pd.Series, want: Expected) -> pd.Series | None:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        if not want.strict and not pd.api.types.is_numeric_dtype(dtype.categories.dtype):
            return None  # e.g. HistGradientBoosting's categorical_features="from_dtype"
        values = series.astype(object)
    elif pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    else:
        values = series
    numbers = pd.to_numeric(values.where(values.notna()), errors="coerce")
    bad = values.notna() & numbers.isna()
    if bad.any():
        if not want.strict:
            return None
        raise InputError(
            NOT_A_NUMBER.format(
                column=_clip(column),
                found=_dtype(series),
                value=_clip(_plain(values[bad].iloc[0])),
                expected="int64 or float64",
            )
        )
    return numbers


def _clip(value: Any) -> Any:
    """Text from the data, short enough for one line (``repr`` escapes its control characters)."""
    text = value if isinstance(value, str) else None
    return text[: _CLIP - 1] + "…" if text is not None and len(text) > _CLIP else value


def _shown(values: list[Any]) -> str:
    shown = ", ".join(repr(_clip(v)) for v in values[:_SHOWN])
    return shown + (f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else "")
