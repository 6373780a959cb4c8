"""The Markdown report shows the evidence a reviewer needs, for every family of checks."""

from __future__ import annotations

from responsible_ai.checker.findings import Finding
from responsible_ai.report import Report


def report_with(finding: Finding) -> Report:
    return Report(
        verdict="fail",
        checks=[finding],
        policy={"name": "p", "version": "1", "fail_on": "high"},
        inputs={"data": {"path": None, "sha256": "0" * 64}},
    )


def test_explanation_evidence_is_rendered_as_tables() -> None:
    associations = [
        {"feature": f"f{i}", "association": 1 - i / 20, "measure": "cramers_v", "is_proxy": i == 0}
        for i in range(12)
    ]
    finding = Finding(
        id="proxy",
        metric="explain.max_proxy_association",
        status="fail",
        severity="high",
        value=1.0,
        operator="<",
        threshold=0.5,
        message="value 1 does not meet < 0.5",
        evidence={
            "explainer": "TreeExplainer",
            "explainer_reason": "a forest",
            "associations": associations,
        },
    )
    text = report_with(finding).to_markdown()
    assert "Explainer: TreeExplainer. a forest" in text
    assert "| feature | association | measure | is_proxy |" in text
    assert "| f0 | 1 | cramers_v | True |" in text
    assert "| f9 |" in text and "| f10 |" not in text
    assert "(2 more rows in the JSON report)" in text


def test_pipes_in_user_strings_do_not_break_tables() -> None:
    finding = Finding(
        id="gap",
        metric="explain.group_attribution_gap",
        status="fail",
        severity="high",
        value=1.0,
        evidence={"gaps": [{"feature": "a|b", "gap": 0.5}]},
    )
    assert "| a\\|b | 0.5 |" in report_with(finding).to_markdown()
