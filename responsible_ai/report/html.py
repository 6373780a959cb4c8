"""The HTML report: one self-contained file that opens offline and prints cleanly to PDF.

No script, no external stylesheet, font or image: charts are inline SVG. A Content-Security-Policy
forbids scripts outright, and every string that comes from the user's data or policy (column
names, group labels, check ids, comments) is escaped, so a column named ``<script>`` is text.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from responsible_ai.report.charts import finding_rate_bars_svg, intersection_heatmap_svg
from responsible_ai.report.robustness_html import robustness_section
from responsible_ai.report.tables import (
    exclusion_notes,
    group_table,
    metric_of_finding,
    rate_label,
    value_interval,
)
from responsible_ai.report.text import format_value, ordered_findings

if TYPE_CHECKING:
    from responsible_ai.checker.findings import Finding
    from responsible_ai.report.model import Report
    from responsible_ai.review import Review, RunReviewState

__all__ = ["render_html"]

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
:root { --ink:#24292f; --muted:#57606a; --line:#d0d7de; --pass:#1a7f37; --fail:#cf222e;
        --warn:#9a6700; --waived:#8250df; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1040px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px;
     border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta, .muted { color: var(--muted); }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; color: #fff;
           font-weight: 700; letter-spacing: .04em; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
         vertical-align: top; overflow-wrap: break-word; }
th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
table.groups td:first-child { white-space: nowrap; }
table.checks td:last-child { font-size: 12px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status { font-weight: 700; text-transform: uppercase; font-size: 12px; }
.status.pass { color: var(--pass); } .status.fail, .status.error { color: var(--fail); }
.status.warn, .status.insufficient_evidence { color: var(--warn); }
.status.waived { color: var(--waived); } .status.skipped { color: var(--muted); }
section.check { break-inside: avoid; page-break-inside: avoid; border: 1px solid var(--line);
                border-radius: 6px; padding: 8px 14px; margin: 12px 0; }
svg.rai-chart { max-width: 100%; height: auto; display: block; margin: 6px 0; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, svg { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 14mm; }
"""


def _status(status: str) -> str:
    return f'<span class="status {escape(status)}">{escape(status.replace("_", " "))}</span>'


def _requirement(finding: Finding) -> str:
    return f"{finding.operator} {finding.threshold:g}" if finding.threshold is not None else ""


def _checks_table(findings: list[Finding], effective: dict[str, str]) -> str:
    rows = []
    for f in findings:
        status = effective.get(f.id, f.status)
        shown = _status(status) + (
            f"<br><span class='muted'>measured: {escape(f.status)}</span>"
            if status != f.status
            else ""
        )
        rows.append(
            f"<tr><td>{shown}</td><td>{escape(f.severity)}</td>"
            f"<td><a href='#check-{escape(f.id)}'>{escape(f.id)}</a></td>"
            f"<td><code>{escape(f.metric)}</code></td>"
            f"<td>{escape(', '.join(f.by) if f.by else '')}</td>"
            f"<td class='num'>{escape(format_value(f.value))}</td>"
            f"<td class='num'>{escape(_requirement(f))}</td>"
            f"<td>{escape(f.reference or '')}</td></tr>"
        )
    return (
        "<table class='checks'><thead><tr><th>status</th><th>severity</th><th>check</th>"
        "<th>metric</th><th>by</th><th>value</th><th>requirement</th><th>reference</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _group_section(finding: Finding) -> str:
    table = group_table(finding)
    if table is None:
        return ""
    rates = table.key_rates(finding)
    with_intervals = {r for r in rates if any(row.get(f"{r}_interval") for row in table.rows)}
    header = ["group", "n"]
    for rate in rates:
        header.append(rate_label(rate) + (" (95% CI)" if rate in with_intervals else ""))
    body = []
    for row in table.rows:
        cells = [escape(row["group"]), escape(str(row["count"]))]
        for rate in rates:
            value = escape(format_value(row.get(rate)))
            interval = row.get(f"{rate}_interval")
            if interval:
                value += f"<br><span class='muted'>{interval[0]:.3f} – {interval[1]:.3f}</span>"
            cells.append(value)
        mark = " class='muted'" if row["group"] in table.excluded else ""
        body.append(
            f"<tr{mark}><td>{cells[0]}</td>"
            + "".join(f"<td class='num'>{cell}</td>" for cell in cells[1:])
            + "</tr>"
        )
    parts = [
        "<table class='groups'><thead><tr>"
        + "".join(f"<th>{escape(h)}</th>" for h in header)
        + f"</tr></thead><tbody>{''.join(body)}</tbody></table>"
    ]
    if table.excluded:
        notes = "; ".join(exclusion_notes(finding))
        parts.append(f"<p class='muted'>Excluded from the comparison: {escape(notes)}</p>")
    chart_rate = metric_of_finding(finding)
    if chart_rate is not None and chart_rate in table.rates:
        parts.append(finding_rate_bars_svg(finding, table, chart_rate))
        heatmap = intersection_heatmap_svg(table, chart_rate)
        if heatmap:
            parts.append(heatmap)
    return "".join(parts)


def _check_section(finding: Finding, effective: dict[str, str], notes: dict[str, str]) -> str:
    status = effective.get(finding.id, finding.status)
    parts = [
        f"<section class='check' id='check-{escape(finding.id)}'>",
        f"<h3>{_status(status)} {escape(finding.id)} "
        f"<span class='muted'>({escape(finding.severity)})</span></h3>",
        f"<p>{escape(finding.message)}</p>",
    ]
    interval = value_interval(finding)
    if interval:
        parts.append(
            f"<p>95% confidence interval of the value: {interval[0]:.4g} – {interval[1]:.4g}</p>"
        )
    if finding.id in notes:
        parts.append(f"<p><strong>Review:</strong> {escape(notes[finding.id])}</p>")
    if finding.rationale:
        parts.append(f"<p><strong>Why:</strong> {escape(finding.rationale)}</p>")
    if finding.reference:
        parts.append(f"<p><strong>Reference:</strong> {escape(finding.reference)}</p>")
    parts.append(_group_section(finding))
    parts.append("</section>")
    return "".join(parts)


def _reviews_section(reviews: list[Review], state: RunReviewState | None) -> str:
    if not reviews and state is None:
        return ""
    parts = ["<h2>Review</h2>"]
    if state is not None:
        by = f" by {escape(state.decided_by)}" if state.decided_by else ""
        parts.append(
            f"<p>State: <strong>{escape(state.state)}</strong>{by}; verdict after waivers: "
            f"<strong>{escape(state.effective_verdict)}</strong></p>"
        )
    if reviews:
        rows = "".join(
            f"<tr><td class='num'>{r.seq}</td><td>{escape(r.created_at[:19])}</td>"
            f"<td>{escape(r.decision)}</td><td>{escape(r.check_id or '(whole run)')}</td>"
            f"<td>{escape(r.reviewer)}</td><td>{escape(r.comment)}</td>"
            f"<td>{escape(r.justification)}</td>"
            f"<td>{escape(r.expires_on.isoformat() if r.expires_on else '')}</td></tr>"
            for r in reviews
        )
        parts.append(
            "<table><thead><tr><th>#</th><th>when (UTC)</th><th>decision</th><th>check</th>"
            "<th>reviewer</th><th>comment</th><th>justification</th><th>expires</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )
    return "".join(parts)


def _inputs_section(report: Report) -> str:
    rows = [
        f"<tr><td>{escape(kind)}</td><td>{escape(source)}</td><td><code>{escape(sha)}</code></td></tr>"
        for kind, source, sha in report.input_rows()
    ]
    versions = ", ".join(f"{escape(k)} {escape(str(v))}" for k, v in report.versions.items())
    return (
        "<h2>Inputs</h2><table><thead><tr><th>input</th><th>source</th><th>SHA-256</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        f"<p class='muted'>Seed {escape(str(report.seed))}. Versions: {versions}.</p>"
    )


def _mitigation_section(report: Report) -> str:
    if report.mitigation is None:
        return ""
    from responsible_ai.mitigate.plot import pareto_svg
    from responsible_ai.report.mitigation import mitigation_html

    return mitigation_html(report.mitigation, pareto_svg(report.mitigation))


def render_html(
    report: Report,
    reviews: list[Review] | None = None,
    state: RunReviewState | None = None,
    *,
    title: str | None = None,
) -> str:
    """Render ``report`` (and optionally its reviews) as one self-contained HTML page.

    Parameters
    ----------
    report : Report
    reviews : list of Review, optional
        The run's reviews; active waivers show as ``waived`` next to the measured status.
    state : RunReviewState, optional
        The run's review state (approved, rejected, ...), shown at the top of the review section.
    title : str, optional
        Page title; default the policy name.

    Returns
    -------
    str
        An HTML document with inline CSS and SVG, no script and no external resource.
    """
    from responsible_ai.review import effective_findings

    reviews = reviews or []
    effective: dict[str, str] = {}
    notes: dict[str, str] = {}
    if reviews:
        for item in effective_findings(report, reviews):
            effective[item.finding.id] = item.status
            if item.note:
                notes[item.finding.id] = item.note
    policy = report.policy
    name = str(policy.get("name", "policy"))
    heading = title or f"Audit report: {name} {policy.get('version', '')}".strip()
    findings = ordered_findings(report)
    counts = ", ".join(f"{n} {escape(s)}" for s, n in sorted(report.summary.items()))
    details = "".join(_check_section(f, effective, notes) for f in findings)
    data_notes = "".join(f"<li>{escape(note)}</li>" for note in report.data_notes)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(heading)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{escape(heading)}</h1>"
        f"<p><span class='verdict {escape(report.verdict)}'>{escape(report.verdict.upper())}"
        f"</span> <span class='meta'>{counts}; fails on {escape(str(policy.get('fail_on')))} "
        f"severity and above. Audited {escape(report.created_at)}.</span></p></header>"
        + _reviews_section(reviews, state)
        + "<h2>Checks</h2>"
        + _checks_table(findings, effective)
        + "<h2>Evidence</h2>"
        + details
        + robustness_section(findings)
        + _mitigation_section(report)
        + (f"<h2>Data notes</h2><ul>{data_notes}</ul>" if data_notes else "")
        + _inputs_section(report)
        + "<footer>Generated by responsible-ai. This file is self-contained: it loads nothing "
        "from the network.</footer></body></html>\n"
    )
