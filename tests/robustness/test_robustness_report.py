"""The HTML report's Robustness section: what it shows, and that user strings are escaped."""

from __future__ import annotations

from robustness_helpers import security_policy

from responsible_ai import audit
from responsible_ai.report.robustness_html import robustness_section
from responsible_ai.robustness.summary import robustness_summary

HOSTILE = "<script>alert(1)</script>"


def test_section_shows_flip_rates_and_escapes_group_values(german_split) -> None:
    held = german_split["held_out"].copy()
    held["sex"] = held["sex"].replace({"female": HOSTILE})
    checks = (
        {"id": "stable", "metric": "robustness.perturbation_flip_rate", "must": "<= 0.5"},
        {"id": "cf", "metric": "fairness.counterfactual_flip_rate", "by": "sex", "must": "<= 1"},
    )
    report = audit(held, security_policy(*checks, sample_size=60), model=german_split["smooth"])
    html = report.render("html")
    assert "<h2>Robustness</h2>" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    section = robustness_section(report.checks)
    assert "flip rates by group" in section.lower() and "<svg" in section
    summary = robustness_summary(report.checks)
    groups = {row["group"] for row in summary.flip_rates if row["attribute"] == "sex"}
    assert groups == {HOSTILE, "male"}


def test_no_robustness_findings_no_section(german_split) -> None:
    check = {"id": "ratio", "metric": "fairness.selection_rate_ratio", "must": ">= 0.5"}
    report = audit(german_split["held_out"], security_policy(check), model=german_split["smooth"])
    assert robustness_section(report.checks) == ""
    assert robustness_summary(report.checks).empty
