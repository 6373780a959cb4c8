"""Map the columns a pipeline's preprocessing produces back to the original input columns.

A one-hot encoder turns ``purpose`` into ``purpose_A40``, ``purpose_A41``, ...; explaining the final
estimator exactly on the encoded matrix and then summing each encoded column's attribution into its
source column gives an exact explanation in the columns the user knows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["source_columns"]


def _selected(columns: Any, names_in: list[str]) -> list[str]:
    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, slice):
        return names_in[columns]
    if callable(columns):
        return []
    array = np.asarray(columns)
    if array.dtype == bool:
        return [name for name, keep in zip(names_in, array, strict=True) if keep]
    if array.dtype.kind in "iu":
        return [names_in[int(i)] for i in array]
    return [str(c) for c in array]


def _match(names: list[str], inputs: list[str]) -> list[int] | None:
    """For each output name, the position of the input it comes from (longest prefix wins)."""
    positions = []
    for name in names:
        best, length = -1, -1
        for position, column in enumerate(inputs):
            matches = (
                name == column
                or name.startswith(f"{column}_")
                or name == f"missingindicator_{column}"
            )
            if matches and len(column) > length:
                best, length = position, len(column)
        if best < 0:
            return None
        positions.append(best)
    return positions


def _trace(transformer: Any, names: list[str]) -> tuple[list[str], list[int]] | None:
    """Output names of ``transformer`` and, for each, the position of its input column."""
    if transformer is None or (isinstance(transformer, str) and transformer == "passthrough"):
        return list(names), list(range(len(names)))
    if isinstance(transformer, str) and transformer == "drop":
        return [], []
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if isinstance(transformer, Pipeline):
        current, origin = list(names), list(range(len(names)))
        for _, step in transformer.steps:
            traced = _trace(step, current)
            if traced is None:
                return None
            current, positions = traced
            origin = [origin[p] for p in positions]
        return current, origin
    if isinstance(transformer, ColumnTransformer):
        names_in = [str(c) for c in getattr(transformer, "feature_names_in_", names)]
        if len(names_in) != len(names):
            return None
        width = max((s.stop for s in transformer.output_indices_.values()), default=0)
        out_names: list[str] = [""] * width
        origin = [-1] * width
        for name, sub, columns in transformer.transformers_:
            span = transformer.output_indices_[name]
            if span.stop == span.start:
                continue
            chosen = _selected(columns, names_in)
            traced = _trace(sub, chosen)
            if traced is None or len(traced[0]) != span.stop - span.start:
                return None
            for offset, (out, position) in enumerate(zip(*traced, strict=True)):
                out_names[span.start + offset] = f"{name}__{out}"
                origin[span.start + offset] = names_in.index(chosen[position])
        if -1 in origin:
            return None
        return out_names, origin
    try:
        produced = [str(n) for n in transformer.get_feature_names_out(names)]
    except Exception:
        return None
    matched = _match(produced, list(names))
    return None if matched is None else (produced, matched)


def source_columns(preprocessor: Any, features: list[str]) -> list[str] | None:
    """The original column behind each output column of a fitted preprocessor.

    Parameters
    ----------
    preprocessor : transformer
        A fitted ``ColumnTransformer``, ``Pipeline`` of transformers, or one-to-one or one-hot
        transformer.
    features : list of str
        The columns the preprocessor takes, in order.

    Returns
    -------
    list of str or None
        One source column per output column; None when an output mixes several inputs (PCA,
        polynomial features) or the transformer cannot name its outputs.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> frame = pd.DataFrame({"colour": ["red", "blue", "red"], "size": [1.0, 2.0, 3.0]})
    >>> prepare = ColumnTransformer([("c", OneHotEncoder(), ["colour"]),
    ...                              ("n", StandardScaler(), ["size"])]).fit(frame)
    >>> source_columns(prepare, ["colour", "size"])
    ['colour', 'colour', 'size']
    """
    traced = _trace(preprocessor, list(features))
    if traced is None:
        return None
    return [features[position] for position in traced[1]]
