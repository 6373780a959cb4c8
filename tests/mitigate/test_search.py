"""Choosing among candidates: by the policy, the cheapest passing one, never a forbidden one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mitigation_helpers import small_policy

from responsible_ai.errors import InputError
from responsible_ai.mitigate.comparison import mitigation_section, pareto_front
from responsible_ai.mitigate.search import Candidate, Trial, choose, search
from responsible_ai.policy.loader import LoadedPolicy, policy_from_dict


def _loaded(**mitigation: Any) -> LoadedPolicy:
    return LoadedPolicy(policy=policy_from_dict(small_policy(**mitigation)), path=None)


@st.composite
def _candidates(draw: Any) -> list[Candidate]:
    n = draw(st.integers(0, 12))
    out = []
    for i in range(n):
        candidate = Candidate(Trial("reweighing", float(i), None), None, None, None, 0.0)
        candidate.passes = draw(st.booleans())
        candidate.forbidden = draw(st.booleans())
        cost = draw(st.floats(-0.2, 0.5, allow_nan=False))
        candidate.cost = {"value": cost, "low": None, "high": None, "confidence": 0.95}
        out.append(candidate)
    return out


@settings(max_examples=200, deadline=None)
@given(_candidates())
def test_a_forbidden_candidate_is_never_chosen(candidates: list[Candidate]) -> None:
    chosen = choose(candidates)
    eligible = [c for c in candidates if c.passes and not c.forbidden]
    if not eligible:
        assert chosen is None
        return
    assert chosen is not None and chosen.passes and not chosen.forbidden
    assert chosen.cost is not None
    assert chosen.cost["value"] == min(c.cost["value"] for c in eligible if c.cost)


def test_the_search_flags_and_never_chooses_sensitive_at_decision(
    german_frame: Any, german_model: Any
) -> None:
    loaded = _loaded(
        allow_sensitive_at_decision=False,
        disparate_treatment_reference="ECOA / Regulation B",
        checks=["equal-opportunity-age"],
        grid={"group_thresholds": [1.0]},
    )
    result = search(german_frame, loaded, german_model, methods=["reweighing", "group_thresholds"])
    by_method = {c.trial.method: c for c in result.candidates}
    thresholds = by_method["group_thresholds"]
    assert thresholds.uses_sensitive_at_decision and thresholds.forbidden
    assert result.chosen is not thresholds
    section = mitigation_section(result)
    row = next(r for r in section["candidates"] if r["method"] == "group_thresholds")
    assert row["disparate_treatment"] and "ECOA / Regulation B" in row["legal_note"]
    assert result.by == ["age_group"] and result.constraint == "true_positive_rate_parity"
    # every candidate was audited on the same held-out rows, with the same checks
    assert result.split["test_rows"] == 300
    assert {f.id for f in thresholds.report.checks} == {f.id for f in result.original.report.checks}


def test_by_default_forbidden_methods_are_not_even_tried(
    german_frame: Any, german_model: Any
) -> None:
    loaded = _loaded(
        allow_sensitive_at_decision=False,
        grid={"exponentiated_gradient": [0.2], "grid_search": [0.5]},
        methods=None,
    )
    result = search(german_frame.sample(400, random_state=1), loaded, german_model)
    methods = {c.trial.method for c in result.candidates}
    assert methods == {"reweighing", "exponentiated_gradient", "grid_search"}


def test_none_passing_names_the_check(german_frame: Any, german_model: Any) -> None:
    policy = small_policy(methods=["reweighing"])
    policy["checks"][0]["must"] = "<= 0.0"  # no model can meet it on noisy data
    loaded = LoadedPolicy(policy=policy_from_dict(policy), path=None)
    result = search(german_frame, loaded, german_model)
    assert result.chosen is None
    assert result.unmet == ["equal-opportunity-age"]
    assert "none meets equal-opportunity-age" in mitigation_section(result)["reason"]


def test_unknown_checks_and_methods_are_input_errors(german_frame: Any, german_model: Any) -> None:
    with pytest.raises(InputError, match=r"mitigation\.checks names no-such-check"):
        search(german_frame, _loaded(), german_model, checks=["no-such-check"])
    with pytest.raises(InputError, match="unknown mitigation method"):
        search(german_frame, _loaded(), german_model, methods=["magic"])


def test_the_pareto_front_keeps_the_undominated() -> None:
    points = [
        {"name": "a", "performance": 0.80, "fairness": 0.10},
        {"name": "b", "performance": 0.75, "fairness": 0.05},
        {"name": "c", "performance": 0.70, "fairness": 0.08},  # worse than b on both
        {"name": "d", "performance": None, "fairness": 0.01},
    ]
    assert pareto_front(points, "<=") == ["a", "b"]
    assert pareto_front(points, ">=") == ["a"]


def test_roles_the_search_needs_are_input_errors(german_frame: Any, german_model: Any) -> None:
    from responsible_ai.mitigate.search import NO_POSITIVE, NO_TARGET

    policy = small_policy()
    del policy["data"]["positive_label"]
    with pytest.raises(InputError, match=re.escape(NO_POSITIVE)):
        search(german_frame, LoadedPolicy(policy=policy_from_dict(policy), path=None), german_model)
    policy = small_policy()
    policy["data"]["target"] = "no_such_column"
    with pytest.raises(InputError, match=re.escape(NO_TARGET)):
        search(german_frame, LoadedPolicy(policy=policy_from_dict(policy), path=None), german_model)
