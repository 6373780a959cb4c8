"""Membership inference: an overfitted deep tree leaks who was in the training data; a smooth
logistic regression does not. Without training data, or without held-out rows, it is an error."""

from __future__ import annotations

import pytest
from robustness_helpers import security_policy, statuses

from responsible_ai import audit
from responsible_ai.robustness import _art
from responsible_ai.robustness.membership import NO_HELD_OUT, NO_TRAIN

MIA = {"id": "mia", "metric": "privacy.membership_inference_advantage", "must": "<= 0.1"}


@pytest.mark.parametrize(("model", "expected"), [("deep", "fail"), ("smooth", "pass")])
def test_deep_tree_fails_and_smooth_model_passes(german_split, model, expected) -> None:
    report = audit(
        german_split["held_out"],
        security_policy(MIA),
        model=german_split[model],
        train=german_split["train"],
    )
    finding = report.checks[0]
    assert finding.status == expected, finding.message
    assert finding.interval["low"] <= finding.value <= finding.interval["high"]
    assert finding.evidence["budget"] == {"members": 300, "non_members": 300}
    assert "not that the model is secure" in finding.evidence["note"]
    roc = finding.evidence["roc"]
    assert roc[0]["false_positive_rate"] == 0 and roc[-1]["true_positive_rate"] == 1


def test_deep_tree_advantage_is_large(german_split) -> None:
    report = audit(
        german_split["held_out"],
        security_policy(MIA),
        model=german_split["deep"],
        train=german_split["train"],
    )
    assert report.checks[0].interval["low"] > 0.05  # clearly above chance, not a coin flip


def test_no_training_data_is_an_error_naming_data_train(german_split) -> None:
    report = audit(german_split["held_out"], security_policy(MIA), model=german_split["smooth"])
    assert statuses(report) == {"mia": "error"}
    assert NO_TRAIN in report.checks[0].message
    assert report.verdict == "fail"


def test_auditing_the_training_data_itself_is_an_error(german_split) -> None:
    train = german_split["train"]
    report = audit(train, security_policy(MIA), model=german_split["smooth"], train=train)
    assert report.checks[0].status == "error"
    assert NO_HELD_OUT.format(count=0) in report.checks[0].message


def test_without_art_the_check_is_an_error_naming_the_extra(german_split, monkeypatch) -> None:
    real = _art.importlib.import_module

    def missing(name: str, *args, **kwargs):
        if name.startswith("art"):
            raise ModuleNotFoundError(f"No module named {name!r}", name="art")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(_art.importlib, "import_module", missing)
    report = audit(
        german_split["held_out"],
        security_policy(MIA),
        model=german_split["smooth"],
        train=german_split["train"],
    )
    assert report.checks[0].status == "error"
    assert _art.ART_MISSING in report.checks[0].message
    assert "responsible-ai[robustness]" in report.checks[0].message
