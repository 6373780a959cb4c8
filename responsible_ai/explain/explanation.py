"""``explain``: SHAP values of a model on data, summarized globally, per group, per row.

An :class:`Explanation` holds everything a reviewer asks about: which features drive the model
(global importance), whether they act differently on each sensitive group (group attribution and
gaps), which features stand in for a sensitive attribute (proxies), and why each applicant was
refused (principal reasons).
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.alignment import align_to_model
from responsible_ai.errors import InputError
from responsible_ai.explain._explainers import (
    Attribution,
    Explainer,
    choose_explainer,
    positive_label_of,
)
from responsible_ai.explain._precomputed import use_precomputed
from responsible_ai.explain._sample import stratified_sample
from responsible_ai.explain._tables import (
    global_importance,
    group_attribution,
    group_gaps,
    plain,
    proxy_table,
    records,
)

# Through the policy package: importing explain.settings first would be a circular import.
from responsible_ai.policy.schema import Policy

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "MISSING_COLUMNS",
    "NOT_A_FRAME",
    "NOT_A_MODEL",
    "NOT_NEGATIVE",
    "NO_FEATURES",
    "ROW_NOT_FOUND",
    "Explanation",
    "explain",
]

NOT_A_FRAME = "data must be a pandas DataFrame; got {kind}"
NOT_A_MODEL = (
    "explanations need a fitted model with a predict method; got {kind}. Pass the model "
    "(--model FILE on the command line), not only its predictions"
)
NO_FEATURES = (
    "cannot tell which columns the model takes: it has no feature_names_in_; pass "
    "features=[...] (data.features in the policy)"
)
MISSING_COLUMNS = "{role} column(s) {columns} are not in the data (columns: {available})"
ROW_NOT_FOUND = "row {row!r} is not in the explained data; pick an index label of the data"
NOT_NEGATIVE = (
    "row {row!r} got the favourable outcome {label!r}; principal reasons are given for negative "
    "decisions (see reasons_table() for all of them)"
)
_DEFAULTS = Policy(name="defaults").explain


def _check_parameter(name: str, value: Any, low: float, high: float, integer: bool) -> None:
    kind = "an int" if integer else "a float"
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if integer:
        valid = isinstance(value, int) and not isinstance(value, bool)
    if not valid or not low <= value <= high:
        upper = "inf" if math.isinf(high) else f"{high:g}"
        raise InputError(
            f"The {name!r} parameter of explain must be {kind} in the range "
            f"[{low:g}, {upper}]. Got {value!r} instead."
        )


def _columns(frame: pd.DataFrame, columns: list[str], role: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        available = ", ".join(map(str, list(frame.columns)[:8]))
        raise InputError(MISSING_COLUMNS.format(role=role, columns=missing, available=available))


def explain(
    model: Any,
    data: pd.DataFrame,
    sensitive: list[str],
    *,
    features: list[str] | None = None,
    rows: int | None = None,
    random_state: int = 0,
    proxy_threshold: float = _DEFAULTS.proxy_threshold,
    positive_label: Any = None,
    min_rows_per_group: int = _DEFAULTS.min_rows_per_group,
    background_size: int = _DEFAULTS.background_size,
    bootstrap: int = _DEFAULTS.bootstrap,
    confidence: float = _DEFAULTS.confidence,
    n_jobs: int | None = None,
    precomputed: Attribution | None = None,
) -> Explanation:
    """Explain a fitted model on data: global, per sensitive group, per row, and proxies.

    Parameters
    ----------
    model : estimator
        A fitted scikit-learn compatible model or ``Pipeline``. Tree ensembles and linear models
        (also as a pipeline's last step after a ``ColumnTransformer``) are explained exactly;
        other models with a permutation explainer.
    data : DataFrame
        The model's input columns and the sensitive columns (which the model need not take).
    sensitive : list of str
        Sensitive feature columns: the sample is stratified by them, attributions are compared
        across their groups, and the other features are tested as proxies for them.
    features : list of str, optional
        The model's input columns; default ``model.feature_names_in_``.
    rows : int, optional
        How many rows to explain (stratified, seeded sample); default 1000. All rows when the data
        has fewer.
    random_state : int, default 0
        Seed of the sample, the background and the bootstrap.
    proxy_threshold : float, default 0.5
        Association (0 to 1) from which a feature is flagged as a proxy.
    positive_label : optional
        The favourable class; default the last of ``model.classes_``.
    min_rows_per_group, background_size, bootstrap, confidence, n_jobs
        See :class:`~responsible_ai.explain.settings.ExplainSettings`. ``n_jobs`` changes the
        wall time only: the values are the same with one worker process or many.
    precomputed : Attribution, optional
        SHAP values already computed for every row of ``data``, in its row order, by the same
        explainer (the Spark engine computes them on the executors); used instead of computing
        them again. Rows not in ``data`` (none, normally) are computed here.

    Returns
    -------
    Explanation

    Raises
    ------
    InputError
        Not a DataFrame, no usable model, missing columns, or a parameter out of range.

    Examples
    --------
    >>> from responsible_ai.explain import explain
    >>> from responsible_ai.reference_models import train_reference_model
    >>> model, german = train_reference_model("german_credit")
    >>> exp = explain(model, german.data, ["sex", "age_group"], rows=200)
    >>> exp.explainer_name
    'LinearExplainer'
    >>> exp.sensitive_attribution_share
    0.0
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(NOT_A_FRAME.format(kind=type(data).__name__))
    if model is None or not hasattr(model, "predict"):
        raise InputError(NOT_A_MODEL.format(kind=type(model).__name__))
    if rows is not None:
        _check_parameter("rows", rows, 1, math.inf, integer=True)
    if n_jobs is not None:
        _check_parameter("n_jobs", n_jobs, 1, math.inf, integer=True)
    _check_parameter("proxy_threshold", proxy_threshold, 0.0, 1.0, integer=False)
    _check_parameter("bootstrap", bootstrap, 20, math.inf, integer=True)
    _check_parameter("confidence", confidence, 0.5, 0.999, integer=False)
    sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if features is None:
        if not hasattr(model, "feature_names_in_"):
            raise InputError(NO_FEATURES)
        features = [str(c) for c in model.feature_names_in_]
    features = list(features)
    _columns(data, sensitive, "sensitive")
    _columns(data, features, "model feature")
    frame = data if data.index.is_unique else data.reset_index(drop=True)
    frame, aligned = align_to_model(model, frame, features)  # dtypes as the model was fitted

    picked = stratified_sample(
        frame,
        sensitive,
        rows or _DEFAULTS.sample_size,
        min_per_group=min_rows_per_group,
        random_state=random_state,
    )
    background = frame.loc[:, features].sample(
        n=min(background_size, len(frame)), random_state=random_state
    )
    positive_label = positive_label_of(model, positive_label)
    try:
        explainer = choose_explainer(
            model, features, background, positive_label, random_state=random_state, n_jobs=n_jobs
        )
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    if precomputed is not None:
        use_precomputed(explainer, frame, precomputed)
    settings = {
        "rows": rows or _DEFAULTS.sample_size,
        "random_state": random_state,
        "proxy_threshold": proxy_threshold,
        "min_rows_per_group": min_rows_per_group,
        "background_size": len(background),
        "bootstrap": bootstrap,
        "confidence": confidence,
    }
    explanation = Explanation(explainer, frame, picked, sensitive, positive_label, settings, model)
    explanation.data_notes = aligned
    return explanation


class Explanation:
    """SHAP values of a sample of rows and every summary a reviewer needs; see :func:`explain`.

    Attributes
    ----------
    explainer_name, explainer_reason : str
        Which explainer ran and why it was chosen.
    output_space : str
        What the SHAP values add up to, e.g. ``"log-odds of 'good'"``.
    expected_value : float
        The model's average output, from which each row's attributions start.
    values : DataFrame
        SHAP values, one row per explained row (index labels of the data), one column per
        original feature.
    output : Series
        The model's output on the explained rows, in ``output_space``.
    approved : Series
        Whether each explained row got the favourable outcome.
    additivity_error : float
        Largest ``|sum of SHAP values + expected value - output|`` over the rows.
    global_importance, group_attribution, group_gaps, proxies : DataFrame
        See the package documentation (``docs/explain.md``).
    """

    def __init__(
        self,
        explainer: Explainer,
        frame: pd.DataFrame,
        picked: pd.Index,
        sensitive: list[str],
        positive_label: Any,
        settings: dict[str, Any],
        model: Any,
    ) -> None:
        self._explainer = explainer
        self._frame = frame
        self._model = model
        self.data_notes: list[str] = []  # columns converted to the model's fitted dtypes
        self.features = list(explainer.features)
        self.sensitive = sensitive
        self.positive_label = positive_label
        self.settings = settings
        self.explainer_name = explainer.name
        self.explainer_reason = explainer.reason
        self.output_space = explainer.output_space
        self.rows_total = len(frame)
        #: Where the explained rows came from when not all of the data was in memory (an engine's
        #: stratified sample), e.g. "explained on a stratified sample of 2000 of 10000000 rows".
        self.sample_note: str | None = None
        sample = frame.loc[picked]
        attribution = explainer.compute(sample)
        #: How the values were computed (worker processes, LightGBM threads): wall time only.
        self.compute_details = list(explainer.details)
        self.expected_value = attribution.base
        self.values = pd.DataFrame(attribution.values, index=picked, columns=self.features)
        self.output = pd.Series(attribution.output, index=picked, name="output")
        residual = self.values.sum(axis=1).to_numpy() + self.expected_value - attribution.output
        self.additivity_error = float(np.abs(residual).max()) if len(residual) else 0.0
        self.data = sample[self.features]
        self.groups = sample[sensitive].astype(str)
        self.approved = self._decisions(sample)
        seed, draws, level = settings["random_state"], settings["bootstrap"], settings["confidence"]
        self.global_importance = global_importance(
            self.values, resamples=draws, confidence=level, random_state=seed
        )
        self.group_gaps = group_gaps(
            self.values, self.groups, resamples=draws, confidence=level, random_state=seed
        )
        by_group = group_attribution(self.values, self.groups)
        self.group_attribution = by_group.merge(
            self.group_gaps[["sensitive", "feature", "gap", "gap_ci_low", "gap_ci_high"]],
            on=["sensitive", "feature"],
            how="left",
        )

    @functools.cached_property
    def proxies(self) -> pd.DataFrame:
        """Association of every non-sensitive model feature with every sensitive column.

        Computed on first use (``rai explain``, the Explanations page): an audit's proxy checks
        measure their own ``by`` groups and never read it.
        """
        threshold = self.settings["proxy_threshold"]
        return proxy_table(
            self._frame, self.features, self.sensitive, self.global_importance, threshold
        )

    def _decisions(self, sample: pd.DataFrame) -> pd.Series:
        if self.positive_label is None:
            return pd.Series(np.nan, index=sample.index, name="approved")
        predicted = np.asarray(self._model.predict(sample[self.features]))
        favourable = [
            p == self.positive_label or str(p) == str(self.positive_label) for p in predicted
        ]
        return pd.Series(favourable, index=sample.index, name="approved")

    @property
    def rows_explained(self) -> int:
        """How many rows were explained."""
        return len(self.values)

    @property
    def sensitive_attribution_share(self) -> float:
        """Share of the total mean |SHAP| that falls on sensitive features the model takes.

        0.0 when the model takes none of them; NaN when every attribution is 0.
        """
        importance = self.global_importance.set_index("feature")["mean_abs_shap"]
        total = float(importance.sum())
        if total == 0:
            return math.nan
        direct = [f for f in self.features if f in self.sensitive]
        return float(importance.loc[direct].sum() / total) if direct else 0.0

    def _row(self, row_index: Any) -> tuple[pd.Series, bool]:
        if row_index in self.values.index:
            return self.values.loc[row_index], bool(self.approved.loc[row_index])
        if row_index not in self._frame.index:
            raise InputError(ROW_NOT_FOUND.format(row=row_index))
        single = self._frame.loc[[row_index]]
        values = self._explainer.compute(single).values[0]
        return pd.Series(values, index=self.features), bool(self._decisions(single).iloc[0])

    def local(self, row_index: Any) -> pd.DataFrame:
        """One row's explanation: each feature's value and SHAP value, largest effect first."""
        contributions, _ = self._row(row_index)
        values = self._frame.loc[row_index, self.features]
        table = pd.DataFrame(
            {"feature": self.features, "value": values.to_numpy(), "shap": contributions.to_numpy()}
        )
        return table.reindex(table["shap"].abs().sort_values(ascending=False).index).reset_index(
            drop=True
        )

    def reasons(self, row_index: Any, top: int = _DEFAULTS.top_reasons) -> pd.DataFrame:
        """Principal reasons for a negative decision: the features that pushed it most towards it.

        As in an adverse-action notice: the ``top`` features with the most negative contribution
        to the favourable outcome, with the applicant's value.

        Raises
        ------
        InputError
            The row is not in the data, or it got the favourable outcome.
        """
        contributions, approved = self._row(row_index)
        if approved:
            raise InputError(NOT_NEGATIVE.format(row=row_index, label=self.positive_label))
        against = contributions[contributions < 0].sort_values().head(top)
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(against) + 1),
                "feature": list(against.index),
                "value": [self._frame.loc[row_index, f] for f in against.index],
                "contribution": against.to_numpy(),
            }
        )

    def reasons_table(self, top: int = _DEFAULTS.top_reasons) -> pd.DataFrame:
        """Principal reasons of every negative decision among the explained rows.

        The same rows as :meth:`reasons` gives one by one, computed for all rows at once.
        """
        columns = ["row", "rank", "feature", "value", "contribution"]
        refused = self.values.loc[self.approved.reindex(self.values.index).eq(False).to_numpy()]
        if refused.empty:
            return pd.DataFrame(columns=columns)
        contributions = refused.to_numpy(dtype=float)
        # stable sort, most negative first, as sort_values().head(top) does for one row
        order = np.argsort(contributions, axis=1, kind="stable")[:, :top]
        picked = np.take_along_axis(contributions, order, axis=1)
        keep = picked < 0
        rows = np.repeat(np.arange(len(refused)), order.shape[1]).reshape(order.shape)[keep]
        features = np.asarray(self.features, dtype=object)[order[keep]]
        ranks = np.cumsum(keep, axis=1)[keep]
        labels = refused.index.to_numpy()[rows]
        values = self._frame.loc[refused.index, self.features].to_numpy(dtype=object)
        feature_position = {f: i for i, f in enumerate(self.features)}
        cells = values[rows, [feature_position[f] for f in features]]
        return pd.DataFrame(
            {
                "row": labels,
                "rank": ranks,
                "feature": list(features),
                "value": list(cells),
                "contribution": picked[keep],
            },
            columns=columns,
        )

    def plot_bar(self, top: int = 15) -> Figure:
        """Global importance as horizontal bars with their bootstrap intervals."""
        from responsible_ai.explain._plots import plot_bar

        return plot_bar(self, top)

    def plot_beeswarm(self, top: int = 15) -> Figure:
        """Every explained row's SHAP value per feature, coloured by the feature's value."""
        from responsible_ai.explain._plots import plot_beeswarm

        return plot_beeswarm(self, top)

    def plot_waterfall(self, row_index: Any, top: int = 10) -> Figure:
        """How one row's output builds up from the expected value, feature by feature."""
        from responsible_ai.explain._plots import plot_waterfall

        return plot_waterfall(self, row_index, top)

    def plot_group_comparison(self, sensitive: str | None = None, top: int = 10) -> Figure:
        """Mean SHAP value per group of a sensitive feature, for the most important features."""
        from responsible_ai.explain._plots import plot_group_comparison

        return plot_group_comparison(self, sensitive, top)

    def to_dict(self, top: int = _DEFAULTS.top_reasons) -> dict[str, Any]:
        """Everything as JSON-ready data: what ``rai explain --output`` writes."""
        return plain(
            {
                "explainer": {
                    "name": self.explainer_name,
                    "reason": self.explainer_reason,
                    "output_space": self.output_space,
                    "expected_value": self.expected_value,
                    "additivity_error": self.additivity_error,
                    "details": self.compute_details,
                },
                "positive_label": self.positive_label,
                "sensitive": self.sensitive,
                "features": self.features,
                "rows_explained": self.rows_explained,
                "rows_total": self.rows_total,
                "sample_note": self.sample_note,
                "settings": self.settings,
                "sensitive_attribution_share": self.sensitive_attribution_share,
                "global_importance": records(self.global_importance),
                "group_attribution": records(self.group_attribution),
                "group_gaps": records(self.group_gaps),
                "proxies": records(self.proxies),
                "reasons": records(self.reasons_table(top=top)),
            }
        )
