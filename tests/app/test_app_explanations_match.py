"""The Explanations page shows the audit's own SHAP values, the same as `rai explain`."""

from __future__ import annotations

import pandas as pd
from app_testing import open_page

from responsible_ai.audit_run import sample_run
from responsible_ai.explain import explain
from responsible_ai.policy.schema import Policy


def test_the_audit_keeps_its_explanation_and_rai_explain_settings_give_the_same() -> None:
    run = sample_run()
    kept = run.report.explanation
    assert kept is not None  # the lending policy has explanation checks
    settings = Policy.model_validate({"name": "defaults", "checks": []}).explain
    again = explain(
        run.model,
        run.frame,
        run.sensitive,
        features=run.features,
        rows=settings.sample_size,
        random_state=run.report.seed,
        positive_label=run.report.roles.get("positive_label"),
        proxy_threshold=settings.proxy_threshold,
        min_rows_per_group=settings.min_rows_per_group,
        background_size=settings.background_size,
        bootstrap=settings.bootstrap,
        confidence=settings.confidence,
    )
    pd.testing.assert_frame_equal(kept.global_importance, again.global_importance)


def test_the_page_shows_the_audits_values_not_a_recomputation(app) -> None:
    at = open_page(app, "views/explanations.py")
    assert not at.exception, at.exception
    kept = sample_run().report.explanation.global_importance
    shown = next(d.value for d in at.dataframe if "mean |SHAP|" in d.value.columns)
    assert list(shown["feature"]) == list(kept["feature"])
    assert shown["mean |SHAP|"].tolist() == kept["mean_abs_shap"].tolist()
