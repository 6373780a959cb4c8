"""The Robustness page: the security pack's flip rates by group, attack success against the
budget and the membership-inference ROC, from the report (also for a run opened from the store)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_testing import APP, open_page, submit_ci_run, texts
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def security_report():
    from responsible_ai import audit
    from responsible_ai.datasets import load_german_credit
    from responsible_ai.reference_models import reference_training_rows, train_reference_model

    german = load_german_credit()
    model, _ = train_reference_model("german_credit", holdout=0.3)
    trained = reference_training_rows(german, holdout=0.3).to_numpy()
    policy = {
        **__import__("yaml").safe_load((ROOT / "policies" / "model-security.yaml").read_text()),
        "robustness": {"evasion_rows": 4, "evasion_queries": 100, "sample_size": 100},
    }
    return audit(
        german.data.loc[~trained],
        policy,
        model=model,
        train=german.data.loc[trained],
        target="credit",
        positive_label="good",
        sensitive=["sex", "age_group"],
    )


def test_security_run_shows_flip_rates_attacks_and_roc(app_env, security_report) -> None:
    assert submit_ci_run(security_report, label="security review") == 1
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params["run"] = "1"
    at.run()
    at = open_page(at, "views/robustness.py")
    page = texts(at)
    for heading in (
        "Flip rates by group",
        "Evasion: attack success against the perturbation budget",
        "Membership inference: ROC of the attack",
        "Poisoning screen: most suspicious training records",
    ):
        assert heading in page
    assert "never that the model is secure" in page
    assert re.search(r"ART HopSkipJump on \d+ rows, at most 100 queries each", page), page
    flips = at.dataframe[0].value
    assert set(flips["group"]) == {"female", "male"}
    assert flips["flip rate"].between(0, 1).all()  # readable headers
    assert {"95% CI low", "95% CI high"} <= set(flips.columns)
    choices = at.selectbox(key="robustness_flips").options
    assert any("counterfactual: attribute and proxies, by age_group" in c for c in choices)


def test_lending_run_shows_its_counterfactual_flip_rates(app) -> None:
    at = open_page(app, "views/robustness.py")
    page = texts(at)
    assert "counterfactual-decision[age_group]" in page
    flips = at.dataframe[0].value
    assert set(flips["test"]) == {"counterfactual: attribute"}  # the first of the choices
