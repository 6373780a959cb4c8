"""Audit inputs: read the data, resolve the roles, get predictions, and refuse what cannot work.

Everything a user can get wrong about the data is caught here, before any metric runs, with one
message that names the column and the fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.alignment import align_to_model
from responsible_ai.data_files import read_table, text_code_notes
from responsible_ai.decisions import (
    Decisions,
    column_decisions,
    looks_like_scores,
    model_decisions,
    target_note,
)
from responsible_ai.errors import InputError
from responsible_ai.hashing import sha256_file, sha256_frame, sha256_object
from responsible_ai.policy.schema import DataRoles

__all__ = ["MISSING_GROUP", "AuditData", "prepare", "read_table"]

MISSING_GROUP = "(missing)"


@dataclass
class AuditData:
    """The data of one audit with every role resolved.

    ``y_true`` and ``y_pred`` are boolean arrays: whether the outcome equals the positive label.
    """

    frame: pd.DataFrame
    roles: DataRoles
    y_true: np.ndarray | None
    y_pred: np.ndarray | None
    score: np.ndarray | None
    weight: np.ndarray | None
    model: Any = None
    notes: list[str] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    model_source: dict[str, Any] | None = None
    prediction_problem: str | None = None
    """Why the predictions are not decisions (a regressor, scores, multi-valued labels without a
    positive_label); a check that needs decisions raises it as bad input."""
    train: pd.DataFrame | None = None
    """The model's training data (``data.train``), for membership inference and poisoning."""
    train_source: dict[str, Any] | None = None

    @property
    def sensitive(self) -> list[str]:
        return list(self.roles.sensitive)


def _describe(values: Any) -> str:
    values = list(values)
    shown = [repr(v.item() if isinstance(v, np.generic) else v) for v in list(values)[:6]]
    more = ", ..." if len(values) > 6 else ""
    return ", ".join(shown) + more


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _same_kind(a: Any, b: Any) -> bool:
    return _kind(a) == _kind(b)


def _resolve_positive_label(
    label: Any, values: pd.Series, column: str, must_occur: bool = True
) -> Any:
    observed = [_python(v) for v in values.dropna().unique().tolist()]
    if label is None:
        if observed and set(observed) <= {0, 1}:
            return True if all(isinstance(v, bool) for v in observed) else 1
        raise InputError(
            f"set positive_label: which value of {column!r} is the favourable outcome? "
            f"Its values are {_describe(sorted(observed, key=str))}"
        )
    if any(_same_kind(value, label) and value == label for value in observed):
        return label
    same_text = [v for v in observed if str(v) == str(label)]
    if same_text:
        found = same_text[0]
        raise InputError(
            f"positive_label {label!r} ({type(label).__name__}) does not occur in column "
            f"{column!r}, whose values are {type(found).__name__}: write positive_label: {found!r}"
        )
    if not must_occur:
        return label  # decisions may all be negative; the label need not occur in them
    raise InputError(
        f"positive_label {label!r} does not occur in column {column!r}; its values are "
        f"{_describe(sorted(observed, key=str))}"
    )


def _require_columns(frame: pd.DataFrame, roles: DataRoles, grouping: list[str]) -> None:
    wanted: dict[str, list[str | None]] = {
        "target": [roles.target],
        "prediction": [roles.prediction],
        "score": [roles.score],
        "weight": [roles.weight],
        "sensitive": list(grouping),
    }
    for role, columns in wanted.items():
        for column in columns:
            if column is not None and column not in frame.columns:
                import difflib

                close = difflib.get_close_matches(column, [str(c) for c in frame.columns], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise InputError(
                    f"{role} column {column!r} is not in the data{hint} "
                    f"(columns: {_describe([str(c) for c in frame.columns])})"
                )


def _no_missing(frame: pd.DataFrame, column: str, role: str) -> None:
    missing = int(frame[column].isna().sum())
    if missing:
        raise InputError(
            f"{role} column {column!r} has {missing} missing value(s); drop or fill those rows"
        )


def _numeric(frame: pd.DataFrame, column: str, role: str) -> np.ndarray:
    _no_missing(frame, column, role)
    try:
        return frame[column].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"{role} column {column!r} must be numeric; found values such as "
            f"{_describe(frame[column].head(3))}"
        ) from None


def prepare(
    frame: pd.DataFrame,
    roles: DataRoles,
    model: Any = None,
    *,
    data_path: str | os.PathLike[str] | None = None,
    model_path: str | os.PathLike[str] | None = None,
    group_columns: list[str] | None = None,
    data_name: str | None = None,
) -> AuditData:
    """Validate the data against the roles and compute predictions from the model if given.

    ``group_columns`` are further columns that checks group by (their ``by``); they must exist and
    their missing values are handled like those of sensitive features. ``data_name`` names an
    in-memory frame's origin (an uploaded file) in the report.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"data must be a pandas DataFrame or a file path; got {type(frame).__name__}"
        )
    if len(frame) == 0:
        raise InputError("the data is empty (0 rows); nothing to audit")
    notes: list[str] = text_code_notes(frame)  # codes read_table kept as text, e.g. ZIP codes
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    grouping = list(dict.fromkeys([*roles.sensitive, *(group_columns or [])]))
    _require_columns(frame, roles, grouping)
    source = {
        "path": str(data_path) if data_path else None,
        "sha256": sha256_file(data_path) if data_path else sha256_frame(frame),
        "rows": len(frame),
        "columns": len(frame.columns),
    }
    if data_name and not data_path:
        source["name"] = str(data_name)

    frame = _resolve_missing_groups(frame, grouping, roles.missing_sensitive, notes)
    explicit = roles.positive_label is not None
    score_like = False
    if model is None and roles.prediction is not None:
        _no_missing(frame, roles.prediction, "prediction")
        score_like = looks_like_scores(frame[roles.prediction]) is not None
    # Scores hold no label: the positive label comes from the target, or stays as given.
    label_column = roles.target or (None if score_like else roles.prediction)
    positive = roles.positive_label
    if label_column is not None:
        positive = _resolve_positive_label(
            positive, frame[label_column], label_column, must_occur=roles.target is not None
        )
    roles = roles.model_copy(update={"positive_label": positive})

    y_true = None
    if roles.target is not None:
        _no_missing(frame, roles.target, "target")
        y_true = (frame[roles.target] == positive).to_numpy(dtype=bool)
    weight = _numeric(frame, roles.weight, "weight") if roles.weight else None
    if weight is not None and (weight < 0).any():
        raise InputError(f"weight column {roles.weight!r} has negative values")
    score = _numeric(frame, roles.score, "score") if roles.score else None

    target = frame[roles.target] if roles.target is not None else None
    decisions = None
    model_source = None
    if model is not None:
        decisions, model_score, model_source = _predict(
            model, frame, roles, positive, model_path, explicit, notes
        )
        score = score if score is not None else model_score
    elif roles.prediction is not None:
        predictions = frame[roles.prediction]
        if target is not None and not score_like:
            _same_label_space(predictions, target, roles)
        decisions = column_decisions(predictions, roles.prediction, positive, explicit, target)
    if decisions is not None and decisions.note:
        notes.append(decisions.note)
    if target is not None and explicit:
        note = target_note(target, positive, str(roles.target))
        if note:
            notes.append(note)
    return AuditData(
        frame=frame,
        roles=roles,
        y_true=y_true,
        y_pred=None if decisions is None else decisions.y_pred,
        score=score,
        weight=weight,
        model=model,
        notes=notes,
        source=source,
        model_source=model_source,
        prediction_problem=None if decisions is None else decisions.problem,
    )


def _resolve_missing_groups(
    frame: pd.DataFrame, columns: list[str], policy: str, notes: list[str]
) -> pd.DataFrame:
    for column in columns:
        missing = frame[column].isna()
        count = int(missing.sum())
        if not count:
            continue
        if policy == "drop":
            frame = frame.loc[~missing]
            notes.append(
                f"dropped {count} row(s) with a missing value in sensitive feature {column!r} "
                f"(data.missing_sensitive: drop)"
            )
        else:
            frame[column] = frame[column].astype(object).where(~missing, MISSING_GROUP)
            notes.append(
                f"{count} row(s) with a missing value in sensitive feature {column!r} form the "
                f"group {MISSING_GROUP!r} (data.missing_sensitive: group)"
            )
    if len(frame) == 0:
        raise InputError("no rows left after dropping rows with missing sensitive values")
    return frame.reset_index(drop=True)


def _same_label_space(predictions: pd.Series, target: pd.Series, roles: DataRoles) -> None:
    predicted = {_python(v) for v in pd.unique(predictions)}
    actual = {_python(v) for v in pd.unique(target.dropna())}
    if predicted and not predicted & actual:
        raise InputError(
            f"prediction column {roles.prediction!r} "
            f"(values {_describe(sorted(predicted, key=str))}) "
            f"shares no value with target {roles.target!r} (values "
            f"{_describe(sorted(actual, key=str))}); both must use the same labels"
        )


def _model_features(model: Any, frame: pd.DataFrame, roles: DataRoles) -> list[str]:
    if roles.features is not None:
        features = list(roles.features)
    elif hasattr(model, "feature_names_in_"):
        features = [str(c) for c in model.feature_names_in_]
    else:
        used = {roles.target, roles.prediction, roles.score, roles.weight}
        features = [c for c in frame.columns if c not in used]
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise InputError(
            f"the model needs column(s) {_describe(missing)} that the data does not have"
        )
    return features


def _predict(
    model: Any,
    frame: pd.DataFrame,
    roles: DataRoles,
    positive: Any,
    model_path: str | os.PathLike[str] | None,
    explicit: bool = False,
    notes: list[str] | None = None,
) -> tuple[Decisions, np.ndarray | None, dict[str, Any]]:
    if not hasattr(model, "predict"):
        raise InputError(f"model of type {type(model).__name__} has no predict method")
    features = _model_features(model, frame, roles)
    # A CSV does not carry types: digit categories come back as integers, and so on.
    inputs, aligned = align_to_model(model, frame[features], features)
    if notes is not None:
        notes.extend(aligned)
    try:
        predicted = np.asarray(model.predict(inputs))
    except Exception as exc:
        reason = " ".join(str(exc).split())  # one line, whatever the estimator's message
        raise InputError(f"the model could not predict on the data: {reason}") from exc
    classes = [_python(c) for c in getattr(model, "classes_", [])]
    if classes and positive not in classes:
        raise InputError(
            f"positive_label {positive!r} is not one of the model's classes {_describe(classes)}"
        )
    score = None
    if hasattr(model, "predict_proba") and classes:
        try:
            score = np.asarray(model.predict_proba(inputs))[:, classes.index(positive)]
        except Exception:
            score = None
    source = {
        "path": str(model_path) if model_path else None,
        "sha256": sha256_file(model_path) if model_path else sha256_object(model),
        "type": f"{type(model).__module__}.{type(model).__qualname__}",
        "features": features,
    }
    target = frame[roles.target] if roles.target is not None else None
    decisions = model_decisions(model, predicted, positive, explicit, target)
    if score is None and decisions.score is not None:
        score = decisions.score  # a regressor's output: what regression metrics measure
    return decisions, score, source
