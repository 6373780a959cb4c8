"""JUnit XML: one testcase per check, so CI systems show checks as tests.

Every string goes through :func:`~responsible_ai.report.escaping.xml_text`: a control character
in a group value or column name is written as a visible escape, and the file always parses.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from responsible_ai.report.escaping import xml_text as _x

if TYPE_CHECKING:
    from responsible_ai.report.model import Report

__all__ = ["render_junit"]


def render_junit(report: Report) -> str:
    summary = report.summary
    name = _x(str(report.policy.get("name", "policy")))
    failures = summary.get("fail", 0) + summary.get("insufficient_evidence", 0)
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(report.checks)),
        failures=str(failures),
        errors=str(summary.get("error", 0)),
        skipped=str(summary.get("skipped", 0)),
        time=f"{report.duration_seconds:.3f}",
        timestamp=_x(str(report.created_at)),
    )
    for finding in report.checks:
        case = ET.SubElement(suite, "testcase", classname=_x(finding.metric), name=_x(finding.id))
        evidence = _x(json.dumps(finding.to_dict()["evidence"], indent=2, default=str))
        message, severity = _x(finding.message), _x(finding.severity)
        if finding.status in ("fail", "insufficient_evidence"):
            node = ET.SubElement(case, "failure", message=message, type=severity)
            node.text = evidence
        elif finding.status == "error":
            node = ET.SubElement(case, "error", message=message, type=severity)
            node.text = evidence
        elif finding.status == "skipped":
            ET.SubElement(case, "skipped", message=message)
        elif finding.status == "warn":
            out = ET.SubElement(case, "system-out")
            out.text = f"WARNING ({severity}, below fail_on): {message}"
    ET.indent(suite)
    suites = ET.Element("testsuites", name=f"responsible-ai: {name}")
    suites.append(suite)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
