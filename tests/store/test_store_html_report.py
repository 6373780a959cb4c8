"""The HTML report: self-contained, escaped, complete; ``rai check --format html``."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from responsible_ai.auditing import audit
from responsible_ai.cli import main
from responsible_ai.datasets import load_german_credit
from responsible_ai.report.html import render_html
from responsible_ai.review import Review, effective_findings, run_review_state

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def hostile_report():
    """Sensitive column, group labels and policy text that all try to inject markup."""
    german = load_german_credit().data
    frame = pd.DataFrame(
        {
            SCRIPT: german["sex"].map({"female": "<img src=x onerror=alert(2)>", "male": "m&m"}),
            "credit": german["credit"],
            "approved": german["credit"].where(german["age_group"] != "under 25", "bad"),
        }
    )
    policy = {
        "name": "<b>policy</b>",
        "checks": [
            {
                "id": "ratio",
                "metric": "fairness.selection_rate_ratio",
                "must": ">= 0.8",
                "reference": "<a href='javascript:alert(3)'>law</a>",
            },
        ],
    }
    return audit(
        frame,
        policy,
        prediction="approved",
        target="credit",
        sensitive=[SCRIPT],
        positive_label="good",
    )


def test_user_strings_are_escaped(hostile_report):
    page = render_html(hostile_report)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "m&amp;m" in page
    assert "<b>policy</b>" not in page and "&lt;b&gt;policy&lt;/b&gt;" in page
    assert "javascript:" not in page.replace("&#x27;javascript:", "")
    assert "<a href='javascript" not in page


def test_escaped_reviews(hostile_report):
    review = Review(1, "reject", "<i>Eve</i>", SCRIPT, created_at="2026-11-29T10:00:00")
    page = render_html(hostile_report, [review])
    assert "<i>Eve</i>" not in page and "&lt;i&gt;Eve&lt;/i&gt;" in page
    assert "<script" not in page.lower()


def test_self_contained_no_network_no_script(failing_page):
    assert "<script" not in failing_page.lower()
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", failing_page)
    assert "@import" not in failing_page and "url(" not in failing_page
    assert "Content-Security-Policy" in failing_page and "default-src 'none'" in failing_page
    assert "@media print" in failing_page


def test_every_check_and_group_table_and_chart(failing_page, failing_report):
    for finding in failing_report.checks:
        assert f"id='check-{finding.id}'" in failing_page
    assert failing_page.count("<svg") >= len(failing_report.checks)
    assert "female / under 25" in failing_page  # intersectional table
    assert "sex × age_group" in failing_page  # heat map title
    assert "Excluded" not in failing_page or "fewer than" in failing_page


def test_failing_checks_come_first(failing_page):
    checks = failing_page[failing_page.index("<h2>Checks") : failing_page.index("<h2>Evidence")]
    statuses = re.findall(r'<span class="status (\w+)">', checks)
    assert statuses == ["fail", "fail", "insufficient_evidence", "warn", "warn", "warn"]


def test_waived_checks_show_both_statuses(failing_report):
    review = Review(
        1,
        "waive",
        "Ada",
        "known",
        check_id="equal-opportunity-age",
        justification="fix due",
        expires_on=date(2099, 1, 1),
        seq=1,
        created_at="2026-11-29T10:00:00",
    )
    state = run_review_state(failing_report, [review])
    page = render_html(failing_report, [review], state)
    assert '<span class="status waived">waived</span>' in page
    assert "measured: fail" in page
    assert "waived by Ada until 2099-01-01" in page
    assert [e.status for e in effective_findings(failing_report, [review])].count("waived") == 1


def test_intervals_are_drawn_when_evidence_has_them(failing_report):
    from copy import deepcopy

    report = deepcopy(failing_report)
    finding = next(f for f in report.checks if f.id == "four-fifths-rule[sex]")
    for row in finding.evidence["groups"]:
        rate = row["selection_rate"]
        row["selection_rate_ci"] = [rate - 0.05, rate + 0.04]
    page = render_html(report)
    section = page[page.index("id='check-four-fifths-rule[sex]'") :]
    section = section[: section.index("</section>")]
    assert "(95% CI)" in section
    assert re.search(r"<path d=\"M[\d.]+,[\d.]+v12", section)


def test_cli_check_format_html(tmp_path, capsys):
    german = load_german_credit().data
    data = tmp_path / "decisions.csv"
    german.assign(approved=german["credit"]).to_csv(data, index=False)
    out = tmp_path / "report.html"
    code = main(
        [
            "check",
            str(data),
            "--policy",
            "policies/eeoc-four-fifths.yaml",
            "--prediction",
            "approved",
            "--target",
            "credit",
            "--sensitive",
            "sex",
            "--positive-label",
            "good",
            "--output",
            str(out),
        ]
    )
    assert code == 0
    assert "wrote html report" in capsys.readouterr().out
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert (
        main(
            [
                "check",
                str(data),
                "--policy",
                "policies/eeoc-four-fifths.yaml",
                "--prediction",
                "approved",
                "--sensitive",
                "sex",
                "--positive-label",
                "good",
                "--format",
                "html",
            ]
        )
        == 0
    )
    assert "<h1>Audit report: eeoc-four-fifths" in capsys.readouterr().out


def test_fairness_engine_intervals_and_exclusions_are_shown(failing_report):
    from copy import deepcopy

    report = deepcopy(failing_report)
    finding = next(f for f in report.checks if f.id == "parity-sex-by-age")
    finding.evidence["group_intervals"] = {
        "selection_rate": {row["group"]: [0.1, 0.9] for row in finding.evidence["groups"]}
    }
    finding.evidence["interval"] = {"low": 0.61, "high": 0.82, "confidence": 0.95}
    finding.evidence["excluded_groups"] = ["female / under 25"]
    finding.evidence["exclusions"] = [
        {"group": "female / under 25", "count": 84, "reason": "84 rows < min_group_size 100"}
    ]
    page = render_html(report)
    section = page[page.index("id='check-parity-sex-by-age'") :]
    section = section[: section.index("</section>")]
    assert "0.100 – 0.900" in section
    assert "95% confidence interval of the value: 0.61 – 0.82" in section
    assert "female / under 25: 84 rows &lt; min_group_size 100" in section
    assert "(excluded)" in section
