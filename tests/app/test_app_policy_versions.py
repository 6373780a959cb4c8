"""An edit in the policy editor runs as a new version; History marks it; packs stay untouched."""

from __future__ import annotations

import hashlib

from app_testing import open_page, texts

from responsible_ai.audit_run import SAMPLE_POLICY, policies_dir
from responsible_ai.store import ReviewStore


def test_edited_threshold_is_a_new_version_in_history_and_the_pack_is_unchanged(app):
    packs = {p.name: p.read_bytes() for p in policies_dir().glob("*.yaml")}
    at = open_page(app, "views/policy.py")
    original = at.text_area[0].value
    edited = original.replace('must: "<= 0.15"', 'must: "<= 1.0"', 1)
    assert edited != original
    at.text_area[0].input(edited).run()
    at.button(key="rerun").click().run()
    assert not at.exception
    version = f"1.0+edit.{hashlib.sha256(edited.encode()).hexdigest()[:8]}"
    assert "Run 2:" in texts(at)

    record = ReviewStore().run_record(2)
    assert record["policy_version"] == version
    assert next(iter(record["policy_text"].values())) == edited

    at = open_page(at, "views/history.py")
    page = texts(at)
    assert f"policy changed: 1.0 -> {version}" in page
    assert f"german-credit-lending {version}" in page
    compared = at.dataframe[-1].value.set_index("check")
    assert set(compared["requirement"]) >= {"requirement loosened", "requirement unchanged"}
    assert "better" not in set(compared["change"])
    assert {p.name: p.read_bytes() for p in policies_dir().glob("*.yaml")} == packs
    assert SAMPLE_POLICY in packs
