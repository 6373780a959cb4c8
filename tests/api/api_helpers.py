"""Helpers of the API tests: a team on a temp SQLite store, its tokens, and a failing report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from responsible_ai.auditing import audit
from responsible_ai.datasets import load_german_credit
from responsible_ai.store import ReviewStore
from responsible_ai.store.people import add_token, add_user

PASSWORD = "correct horse battery"
LENDING = Path(__file__).resolve().parents[1] / "store" / "lending-fairness.yaml"


@dataclass
class Team:
    url: str
    tokens: dict[str, str]  # user name -> bearer token

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def make_team(folder: Path) -> Team:
    """admin root, reviewers alice and bob, submitter ci; a token each."""
    url = f"sqlite:///{folder / 'team.sqlite'}"
    store = ReviewStore(url)
    tokens = {}
    try:
        people = [
            ("root", "admin"),
            ("alice", "reviewer"),
            ("bob", "reviewer"),
            ("ci", "submitter"),
        ]
        for name, role in people:
            add_user(store, name, role, PASSWORD, actor="test")
            tokens[name] = add_token(store, name, actor="test")[1]
    finally:
        store.close()
    return Team(url, tokens)


def failing_report_json() -> dict[str, Any]:
    """The lending policy on German credit, refusing everyone under 25: a failing report."""
    german = load_german_credit().data
    approved = german["credit"].where(german["age_group"] != "under 25", "bad")
    report = audit(german.assign(approved=approved), str(LENDING), prediction="approved")
    assert report.verdict == "fail"
    value: dict[str, Any] = json.loads(report.to_json(indent=None))
    return value


def submission(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "report": report,
        "policy_text": {"lending-fairness.yaml": LENDING.read_text(encoding="utf-8")},
        "provenance": {"commit": "9f1c", "branch": "main"},
    }


def blocking_checks(report: dict[str, Any]) -> list[str]:
    from responsible_ai.report import Report
    from responsible_ai.review import run_review_state

    return run_review_state(Report.from_dict(report), []).blocking
