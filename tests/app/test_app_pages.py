"""Every page renders; the app opens on the audited German credit sample, failing checks first."""

from __future__ import annotations

import pytest
from app_testing import PAGES, open_page, texts

from responsible_ai.store import ReviewStore


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(app, page):
    at = open_page(app, page)
    assert at.title, f"{page} has no title"
    assert not at.exception


def test_opens_on_the_audited_sample(app, app_env):
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {"Verdict": "FAIL", "Verdict after waivers": "FAIL", "Review": "pending"}
    page = texts(app)
    assert "German credit sample" in page
    assert "Not approvable yet: 1 fails, 1 lacks evidence." in page
    # Failing checks come first, each with severity, value vs threshold and reference.
    first = [m.value for m in app.markdown if "severity **" in m.value]
    assert first[0].startswith(":red[**FAILS**] **equal\\-opportunity\\-age**")
    assert first[1].startswith(":orange[**LACKS EVIDENCE**] **four\\-fifths")
    assert all(item.startswith(":orange[**WARNING**]") for item in first[2:])
    assert "**Measured:** 0.1845 (95% confidence interval 0.09295 to 0.2835)" in page
    assert "**Required:** at most 0.15." in page
    assert "Reference: Hardt, Price and Srebro (2016)" in page
    # The run is stored.
    store = ReviewStore()
    assert list(store.runs()["run"]) == [1]
    assert store.report(1).verdict == "fail"


def test_fairness_page_shows_groups_chart_and_heat_map(app):
    at = open_page(app, "views/fairness.py")
    table = at.dataframe[0].value
    assert list(table["group"]) == ["25 and over", "under 25"]
    assert list(table["count"]) == [851, 149]
    assert len(at.image) == 1  # the bar chart
    at.selectbox[0].select("parity-sex-by-age (warning)").run()
    assert len(at.dataframe[0].value) == 4
    assert len(at.image) == 2  # bar chart and intersectional heat map
    assert "Intersectional heat map" in texts(at)


def test_download_offers_every_format(app):
    at = open_page(app, "views/download.py")
    buttons = at.get("download_button")
    labels = [b.proto.label for b in buttons]
    assert labels == [
        "HTML report (.html)",
        "JSON report (.json)",
        "Markdown report (.md)",
        "JUnit XML (.xml)",
    ]


def test_explanations_page_shows_importance_groups_proxies_and_reasons(app):
    at = open_page(app, "views/explanations.py")
    tables = [element.value for element in at.dataframe]
    importance, groups, proxies, reasons = tables[:4]
    assert {"feature", "mean |SHAP|", "95% CI low", "95% CI high"} <= set(importance.columns)
    assert "sex" not in set(importance["feature"])  # the reference model does not see sex
    assert {"sensitive", "group", "feature"} <= set(groups.columns)
    flagged = proxies[proxies["proxy?"]]
    assert ("age", "age_group") in set(zip(flagged["feature"], flagged["sensitive"], strict=True))
    assert "stand in for a sensitive feature" in texts(at)
    assert list(reasons["rank"]) == [1, 2, 3, 4]
    assert len(at.image) == 3  # importance bars, group comparison, the record's waterfall
