"""Principal reasons for negative decisions, per row and as a table, on German credit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from responsible_ai.errors import InputError
from responsible_ai.explain import explain
from responsible_ai.explain.explanation import NOT_NEGATIVE, ROW_NOT_FOUND
from responsible_ai.reference_models import train_reference_model


@pytest.fixture(scope="module")
def german():
    model, dataset = train_reference_model("german_credit")
    exp = explain(model, dataset.data, ["sex", "age_group"], rows=300, random_state=3)
    return model, dataset, exp


def test_reasons_are_the_most_negative_contributions(german):
    _, dataset, exp = german
    refused = exp.approved.index[~exp.approved.astype(bool)]
    row = refused[0]
    reasons = exp.reasons(row, top=3)
    assert list(reasons["rank"]) == [1, 2, 3]
    assert (reasons["contribution"] < 0).all()
    assert reasons["contribution"].is_monotonic_increasing
    local = exp.values.loc[row]
    assert reasons["contribution"].iloc[0] == pytest.approx(local.min())
    assert list(reasons["value"]) == [dataset.data.loc[row, f] for f in reasons["feature"]]
    assert set(reasons["feature"]) <= set(dataset.features)


def test_reasons_table_covers_every_negative_decision(german):
    model, dataset, exp = german
    table = exp.reasons_table(top=2)
    predicted = model.predict(dataset.data.loc[exp.values.index, dataset.features])
    assert set(table["row"]) == set(exp.values.index[predicted == "bad"])
    assert table.groupby("row").size().max() <= 2


def test_reasons_refused_for_an_approved_row(german):
    _, _, exp = german
    approved = exp.approved.index[exp.approved.astype(bool)][0]
    message = NOT_NEGATIVE.format(row=approved, label="good")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        exp.reasons(approved)


def test_row_outside_the_sample_is_explained_on_demand(german):
    model, dataset, exp = german
    outside = [i for i in dataset.data.index if i not in exp.values.index]
    predicted = model.predict(dataset.data.loc[outside, dataset.features])
    row = np.asarray(outside)[predicted == "bad"][0]
    reasons = exp.reasons(row)
    assert len(reasons) >= 1
    with pytest.raises(InputError, match=ROW_NOT_FOUND.format(row=99999)):
        exp.reasons(99999)


def test_to_dict_is_json_and_in_original_columns(german):
    _, dataset, exp = german
    data = json.loads(json.dumps(exp.to_dict()))
    assert {r["feature"] for r in data["global_importance"]} == set(dataset.features)
    assert data["explainer"]["name"] == "LinearExplainer"
    assert data["sensitive_attribution_share"] == 0.0
    assert data["reasons"] and data["group_attribution"] and data["proxies"]


def test_global_importance_sorted_with_interval(german):
    _, _, exp = german
    table = exp.global_importance
    assert table["mean_abs_shap"].is_monotonic_decreasing
    assert (table["ci_low"] <= table["mean_abs_shap"] + 1e-12).all()
    assert (table["ci_high"] >= table["mean_abs_shap"] - 1e-12).all()


def test_group_attribution_has_every_group_and_the_gap(german):
    _, _, exp = german
    table = exp.group_attribution
    assert set(table["group"]) == {"female", "male", "under 25", "25 and over"}
    assert {"gap", "gap_ci_low", "gap_ci_high"} <= set(table.columns)
    sex = table[table["sensitive"] == "sex"].pivot(
        index="feature", columns="group", values="mean_shap"
    )
    gaps = exp.group_gaps[exp.group_gaps["sensitive"] == "sex"].set_index("feature")["gap"]
    np.testing.assert_allclose((sex["male"] - sex["female"]).abs().loc[gaps.index], gaps)


def test_figures(german):
    from matplotlib.figure import Figure

    _, _, exp = german
    row = exp.reasons_table()["row"].iloc[0]
    figures = [
        exp.plot_bar(),
        exp.plot_beeswarm(),
        exp.plot_waterfall(row),
        exp.plot_group_comparison("age_group"),
    ]
    assert all(isinstance(f, Figure) and f.axes for f in figures)
    with pytest.raises(InputError, match="'nope' is not a sensitive column"):
        exp.plot_group_comparison("nope")


def test_reasons_table_equals_reasons_row_by_row(german):
    _, _, exp = german
    table = exp.reasons_table(top=3)
    for row, expected in list(table.groupby("row", sort=False))[:25]:
        one = exp.reasons(row, top=3)
        assert list(expected["feature"]) == list(one["feature"])
        assert list(expected["rank"]) == list(one["rank"])
        assert list(expected["value"]) == list(one["value"])
        assert expected["contribution"].to_list() == one["contribution"].to_list()
