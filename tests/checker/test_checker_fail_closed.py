"""The checker fails closed: what cannot be computed is an error finding and fails the verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from responsible_ai import audit


def data() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 200
    return pd.DataFrame(
        {
            "sex": rng.choice(["f", "m"], n),
            "age_group": rng.choice(["young", "old"], n),
            "y": rng.integers(0, 2, n),
            "pred": rng.integers(0, 2, n),
        }
    )


def policy(*checks: dict, fail_on: str = "high", **data_roles: object) -> dict:
    return {
        "name": "t",
        "fail_on": fail_on,
        "data": {"positive_label": 1, "sensitive": ["sex"], **data_roles},
        "checks": list(checks),
    }


def test_metric_that_needs_a_target_without_one_is_an_error() -> None:
    check = {
        "id": "eo",
        "metric": "fairness.equalized_odds_difference",
        "by": "sex",
        "must": "<= 1",
    }
    report = audit(data(), policy(check), prediction="pred")
    (finding,) = report.checks
    assert finding.status == "error"
    assert finding.message.startswith("cannot compute: needs a target column")
    assert report.verdict == "fail"


def test_an_error_below_fail_on_still_fails_the_verdict() -> None:
    check = {
        "id": "eo",
        "metric": "fairness.equal_opportunity_difference",
        "by": "sex",
        "must": "<= 1",
        "severity": "low",
    }
    report = audit(data(), policy(check), prediction="pred")
    assert report.checks[0].status == "error" and report.verdict == "fail"


def test_failure_below_fail_on_is_a_warning() -> None:
    check = {
        "id": "dp",
        "metric": "fairness.demographic_parity_difference",
        "by": "sex",
        "must": "<= 0",
        "severity": "medium",
    }
    report = audit(data(), policy(check), prediction="pred", target="y")
    assert report.checks[0].status == "warn" and report.verdict == "pass"
    blocking = policy({**check, "severity": "high"})
    assert audit(data(), blocking, prediction="pred", target="y").verdict == "fail"


def test_undefined_ratio_is_an_error_not_a_pass() -> None:
    frame = data().assign(pred=0)  # nobody selected: 0 / 0
    check = {"id": "di", "metric": "fairness.selection_rate_ratio", "by": "sex", "must": ">= 0.8"}
    (finding,) = audit(frame, policy(check), prediction="pred").checks
    assert finding.status == "error"
    assert "the highest group rate is 0" in finding.message


def test_single_group_cannot_be_compared() -> None:
    frame = data().assign(sex="f")
    check = {
        "id": "dp",
        "metric": "fairness.demographic_parity_difference",
        "by": "sex",
        "must": "<= 0.1",
    }
    (finding,) = audit(frame, policy(check), prediction="pred").checks
    assert finding.status == "error"
    assert "1 group(s) with a defined value" in finding.message


def test_small_groups_are_listed_as_excluded() -> None:
    frame = data()
    frame.loc[:2, "sex"] = "x"
    check = {
        "id": "dp",
        "metric": "fairness.demographic_parity_difference",
        "by": "sex",
        "must": "<= 1",
        "params": {"min_group_size": 10},
    }
    (finding,) = audit(frame, policy(check), prediction="pred").checks
    assert finding.status == "pass"
    assert finding.evidence["excluded_groups"] == ["x"]
    assert finding.evidence["components"]["selection_rate"]["groups_compared"] == 2


def test_no_sensitive_feature_is_an_error() -> None:
    check = {"id": "dp", "metric": "fairness.demographic_parity_difference", "must": "<= 1"}
    (finding,) = audit(data(), policy(check, sensitive=[]), prediction="pred").checks
    assert finding.status == "error" and "no sensitive feature" in finding.message


def test_check_without_by_runs_for_each_sensitive_feature() -> None:
    check = {"id": "dp", "metric": "fairness.demographic_parity_difference", "must": "<= 1"}
    report = audit(data(), policy(check, sensitive=["sex", "age_group"]), prediction="pred")
    assert [f.id for f in report.checks] == ["dp[sex]", "dp[age_group]"]
    assert [f.by for f in report.checks] == [["sex"], ["age_group"]]


def test_disabled_check_is_skipped() -> None:
    check = {
        "id": "dp",
        "metric": "fairness.demographic_parity_difference",
        "by": "sex",
        "must": "<= 1",
        "enabled": False,
    }
    enabled = {**check, "id": "dp-on", "enabled": True}
    report = audit(data(), policy(check, enabled), prediction="pred")
    assert [f.status for f in report.checks] == ["skipped", "pass"] and report.verdict == "pass"


def test_an_exception_inside_a_metric_becomes_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from responsible_ai.fairness import groups

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("responsible_ai.fairness.checks.count_groups", broken)
    check = {
        "id": "dp",
        "metric": "fairness.demographic_parity_difference",
        "by": "sex",
        "must": "<= 1",
    }
    (finding,) = audit(data(), policy(check), prediction="pred").checks
    assert finding.status == "error"
    assert finding.message == "cannot compute: RuntimeError: disk on fire"
    assert groups.count_groups is not broken
