"""Attacks on the reports: markup, links, control characters and terminal escapes in group values,
column names, check ids, policy names, messages and references come out inert in every format.

The hostile strings go through a real audit (data and policy written in ``tmp_path``) and, fuzzed
with Hypothesis, straight into the renderers.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responsible_ai import audit
from responsible_ai.checker.findings import Finding
from responsible_ai.cli import main
from responsible_ai.report import Report
from responsible_ai.report.escaping import escape_terminal, markdown_links, xml_text

SCRIPT = "<script>alert('x')</script>"
IMAGE = "<img src=x onerror=alert(1)>"
LINK = "[click me](javascript:alert(1))"
DATA_URL = "![pic](data:text/html;base64,PHNjcmlwdD4=)"
ESCAPES = "\x1b[31mred\x1b[0m\rhidden\x00\x0b\u202eevil"
GROUPS = [SCRIPT, IMAGE, LINK, DATA_URL, "a|b\nc", ESCAPES]
COLUMN = "<b>sex</b>|\x1b]0;title\x07"

POLICY = """\
name: "<script>alert('policy')</script> \\e[2J"
version: "1"
data:
  prediction: pred
  positive_label: 1
  sensitive: ["<b>sex</b>|\\e]0;title\\a"]
checks:
  - id: ratio
    metric: fairness.selection_rate_ratio
    must: ">= 0.8"
    severity: high
    reference: "javascript:alert(1) [see](javascript:alert(2)) <https://evil.example> https://example.org/guide?a=1&b=2"
"""


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("hostile")
    rows = [(group, int(i % (k + 2) == 0)) for k, group in enumerate(GROUPS) for i in range(30)]
    frame = pd.DataFrame(rows, columns=[COLUMN, "pred"])
    frame.to_parquet(folder / "data.parquet", index=False)  # Parquet holds NUL and ESC as is
    (folder / "policy.yaml").write_text(POLICY)
    report = audit(folder / "data.parquet", folder / "policy.yaml")
    assert report.verdict == "fail"  # the failing check's evidence is rendered in full
    return report


def _table_cells(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def assert_inert_markdown(text: str) -> None:
    # Raw HTML and <autolinks> start with "<": the only ones left are http(s) autolinks.
    assert re.findall(r"<(?!https?://)", text) == []
    # Links and images need an unescaped "[": the renderer writes none itself.
    assert re.findall(r"(?<!\\)[\[\]]", text) == []
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)
    # Every row of a table has as many cells as its header.
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            assert {_table_cells(row) for row in block} == {_table_cells(block[0])}, block
        block = []


def test_markdown_report_is_inert(hostile_report: Report) -> None:
    text = hostile_report.to_markdown()
    assert_inert_markdown(text)
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in text  # shown, not run
    assert "\\[click me\\](javascript:alert(1))" in text
    assert "<https://example.org/guide?a=1&b=2>" in text  # http(s) stays a link
    assert "&lt;<https://evil.example>&gt;" in text  # an https URL, so a link; the <> text
    assert "| \\\\x1b\\[31mred" in text  # ESC shown as text, its "[" no link


def test_markdown_links_allow_only_http() -> None:
    for scheme in ("javascript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd"):
        assert "<" not in markdown_links(f"see {scheme}")
        assert "\\[" in markdown_links(f"[x]({scheme})")
    assert markdown_links("https://a.example/x") == "<https://a.example/x>"


def test_junit_is_well_formed(hostile_report: Report) -> None:
    xml = hostile_report.to_junit()
    root = ET.fromstring(xml.encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("name", "").startswith("<script>alert('policy')</script> \\x1b[2J")
    failure = root.find(".//failure")
    assert failure is not None and failure.text is not None
    assert json.loads(failure.text)  # the evidence is intact JSON
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", xml)


def test_text_report_shows_control_characters_escaped(hostile_report: Report) -> None:
    text = hostile_report.to_text()
    assert "\x1b" not in text and "\r" not in text
    assert "\\x1b[2J" in text  # the policy name, visibly


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += attrs


@pytest.mark.parametrize("render", ["to_html", "_repr_html_"])  # the report file, the notebook
def test_html_report_is_inert(hostile_report: Report, render: str) -> None:
    page = getattr(hostile_report, render)()
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags and "b" not in parser.tags
    assert not [name for name, _ in parser.attributes if name.startswith("on")]
    links = [value or "" for name, value in parser.attributes if name == "href"]
    assert all(link.startswith("#") for link in links), links
    assert "&lt;script&gt;alert(&#x27;" in page


def test_rai_check_prints_no_escape_sequence(tmp_path: Path, hostile_report: Report) -> None:
    data = Path(hostile_report.inputs["data"]["path"])
    policy = Path(hostile_report.policy["path"])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", str(data), "--policy", str(policy)])
    assert code == 1
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue()
    assert "\\x1b[2J" in out.getvalue()


# --- fuzzing the renderers -----------------------------------------------------------------------

_HOSTILE_TEXT = st.lists(
    st.one_of(
        st.sampled_from([*"<>&\"'[]()|`*_\\!#-+=:/\n\r\t ", "javascript:", "https://", "<a "]),
        st.characters(max_codepoint=0x20),
        st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
        st.characters(blacklist_categories=()),  # everything, lone surrogates included
    ),
    max_size=30,
).map("".join)


def _report(text: str, group: str, reference: str) -> Report:
    groups = [
        {"group": group, "count": 10, "selection_rate": 0.1},
        {"group": "other", "count": 10, "selection_rate": 0.9},
    ]
    finding = Finding(
        id=text or "x",
        metric="fairness.selection_rate_ratio",
        status="fail",
        severity="high",
        value=0.1,
        operator=">=",
        threshold=0.8,
        by=[text],
        message=text,
        reference=reference,
        evidence={
            "groups": groups,
            "impact_ratios": [{**row, "impact_ratio": 0.5} for row in groups],
            "exclusions": [{"group": group, "reason": text}],
        },
    )
    return Report(
        verdict="fail",
        checks=[finding],
        policy={"name": text, "version": group, "fail_on": "high"},
        inputs={"data": {"path": text, "sha256": group}},
        data_notes=[text],
    )


@settings(max_examples=int(os.environ.get("RAI_FUZZ_EXAMPLES", "150")), deadline=None)
@given(text=_HOSTILE_TEXT, group=_HOSTILE_TEXT, reference=_HOSTILE_TEXT)
def test_fuzzed_strings_never_escape_their_format(text: str, group: str, reference: str) -> None:
    report = _report(text, group, reference)
    markdown, inputs = report.to_markdown().split("## Inputs")
    assert_inert_markdown(markdown)
    data_line = next(line for line in inputs.splitlines() if line.startswith("- data:"))
    assert data_line.count("`") == 4  # path and hash each inside one code span, which holds HTML
    # as text
    ET.fromstring(report.to_junit().encode("utf-8", "backslashreplace"))
    rendered = report.to_text()
    assert escape_terminal(rendered, keep_newlines=True) == rendered
    assert xml_text(xml_text(group)) == xml_text(group)
