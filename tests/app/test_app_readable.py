"""The pages read plainly: statuses whole, numbers rounded for reading but exact underneath,
each check card saying once what was measured, required and meant, SHAP explained in its units."""

from __future__ import annotations

import json

from app_testing import open_page, table_text, texts

from responsible_ai.report.plain import STATUS_LABELS
from responsible_ai.store import ReviewStore

LACKS = "four-fifths-rule[age_group]"
# Streamlit's grid draws about 8 px per character of its 14 px font, plus 16 px of padding.
CHARACTER, PADDING = 8, 16


def _columns(element) -> dict:
    return json.loads(element.proto.columns)


def test_all_checks_table_shows_whole_statuses_and_rounds_only_the_display(app):
    table = app.dataframe[0]
    frame = table.value
    assert set(frame["status"]) <= set(STATUS_LABELS.values())
    assert frame.set_index("check").loc[LACKS, "status"] == "lacks evidence"
    config = _columns(table)
    widest = max(len(label) for label in STATUS_LABELS.values())
    for column in ("status", "after review"):
        assert config[column]["width"] >= widest * CHARACTER + PADDING
        assert config[column]["help"]
    assert config["value"]["type_config"]["format"] == "%.4g"
    exact = {f.id: f.value for f in ReviewStore().report(1).checks}
    assert frame.set_index("check")["value"].to_dict() == exact  # every digit, not "0.7672"
    download = json.loads(ReviewStore().report(1).to_json())
    assert {c["id"]: c["value"] for c in download["checks"]} == exact


def test_each_check_card_says_once_what_was_measured_required_and_meant(app):
    page = texts(app)
    card = next(m.value for m in app.markdown if "smallest group value over largest" in m.value)
    card = card.replace("\\", "")
    assert card.startswith(
        "**Measured:** 0.7672 (95% confidence interval 0.6699 to 0.8761) — selection rate "
        "(share predicted positive): smallest group value over largest, by age_group."
    )
    assert "**Required:** at least 0.8." in card
    assert "**For the decision:** The data cannot decide it" in card
    assert "It blocks approval like a failure" in card
    assert card.count("0.7672") == 1
    # The finding's own message repeats value and requirement: the card no longer adds it.
    assert "straddles >= 0.8: more data is needed to decide" not in page
    assert "severity (medium) is below the policy's fail_on (high)" in page  # a warning


def test_fairness_heat_map_caption_says_what_it_shows(app):
    at = open_page(app, "views/fairness.py")
    config = _columns(at.dataframe[0])
    assert config["group"]["width"] == "large"
    assert config["selection rate"]["type_config"]["format"] == "%.4g"
    at.selectbox[0].select("parity-sex-by-age (warning)").run()
    caption = texts(at)
    assert (
        "Each cell is one group: a value of sex (rows) with a value of age_group (columns). "
        "The bold number is that group's selection rate and n its number of rows. Darker blue "
        "means a higher selection rate, from white at 0 to dark blue at 1."
    ) in caption
    assert "Cells marked (excluded) have fewer than" in caption


def test_explanations_say_what_shap_is_in_its_units(app):
    at = open_page(app, "views/explanations.py")
    page = texts(at)
    assert (
        "A SHAP value is a feature's push on the model's output for one applicant, in "
        "log-odds of 'good'; a positive value pushes toward 'good'"
    ) in page
    # The units are said once above (in the sentence), not again in a caption of their own.
    assert not [c.value for c in at.caption if c.value.startswith("Values in")]
    importance = at.dataframe[0].value
    assert list(importance.columns) == ["feature", "mean |SHAP|", "95% CI low", "95% CI high"]
    assert _columns(at.dataframe[0])["mean |SHAP|"]["type_config"]["format"] == "%.4g"
    assert "gap between groups" in at.dataframe[1].value.columns
    details = [e for e in at.expander if e.label == "Explainer details"]
    assert len(details) == 1
    inside = " ".join(m.value.replace("\\", "") for m in details[0].markdown)
    assert "Explainer: LinearExplainer." in inside
    assert "Values in log-odds of 'good'; the model's average output is" in inside
    assert "Background rows (what 'average' is measured over): 200." in inside
    assert "57 encoded columns" in inside
    outside = [c.value for c in at.caption if "encoded columns" in c.value]
    assert outside == []  # the explainer details stay in the expander
    assert "red bars push toward 'good', blue bars away from it" in page  # waterfall legend


def test_waterfall_has_a_legend_in_the_units_of_the_explanation():
    from responsible_ai.audit_run import sample_run
    from responsible_ai.explain import explain

    run = sample_run()
    explanation = explain(
        run.model,
        run.frame.head(120),
        run.sensitive,
        features=run.features,
        rows=60,
        random_state=0,
        positive_label="good",
    )
    figure = explanation.plot_waterfall(explanation.values.index[0])
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "pushes toward 'good'",
        "pushes away",
        "average output",
    ]
    assert "log-odds of 'good'" in figure.axes[0].get_xlabel()


def test_history_wraps_runs_and_reviews_so_nothing_is_cut(app):
    from datetime import timedelta

    from responsible_ai.review import Review, today_utc

    reason = "Retraining with reweighing ships next quarter; the gap is tracked in RISK-1234"
    ReviewStore().add_review(
        Review(
            run_id=1,
            decision="waive",
            reviewer="",
            comment="Gap confirmed on the holdout",
            check_id=LACKS,
            justification=reason,
            expires_on=today_utc() + timedelta(days=30),
        )
    )
    at = open_page(app, "views/history.py")
    # Wrapped tables (st.table), not grids that cut text at their column's width.
    runs, reviews = table_text(at.table[0]), table_text(at.table[1])
    assert {"what blocks", "verdict after waivers", "review", "decided by"} <= set(runs.columns)
    assert runs.loc[0, "created at"].endswith(" UTC") and len(runs.loc[0, "created at"]) == 20
    assert len(runs.loc[0, "data (SHA-256, first 12)"]) == 12
    assert reviews.loc[0, "justification"] == reason  # whole, on the page
    # Every value exact in the grid folded below the wrapped runs.
    exact = at.dataframe[0].value
    assert exact.loc[0, "created at"] == ReviewStore().runs().loc[0, "created_at"]


def test_text_in_wrapped_tables_is_never_markdown(app):
    # st.table renders Markdown: a justification is shown as written, not as a link or badge.
    from datetime import timedelta

    from responsible_ai.review import Review, today_utc

    hostile = "[click me](https://evil.example) ![t](https://evil.example/p.png) :green-badge[OK]"
    for n in range(30):
        ReviewStore().add_review(
            Review(
                run_id=1,
                decision="waive",
                reviewer="",
                comment=f"note {n}",
                check_id=LACKS,
                justification=hostile,
                expires_on=today_utc() + timedelta(days=30 + n),
            )
        )
    for page in ("views/history.py", "views/review.py"):
        at = open_page(app, page)
        shown = at.table[-1].value
        assert len(shown) == 25
        assert "[" not in "".join(shown["justification"]).replace("\\[", "")
        assert set(table_text(at.table[-1])["justification"]) == {hostile}
        seqs = sorted(int(n) for n in shown["#"])
        assert seqs == list(range(6, 31))  # the newest 25 of 30 (the rest folded below)
