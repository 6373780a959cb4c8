"""The shipped privacy policies against their fixture folders, before and after anonymizing.

Each folder ``tests/fixtures/policies/<policy>/`` holds ``data.csv`` and ``expected.yaml`` (the
verdict and the status of every check of ``audit(data, policy)``, the shape the generic walker
``tests/test_policy_fixtures.py`` reads); privacy policies add ``expected-after-anonymize.yaml``,
the same once the policy's transforms have run, as ``rai anonymize`` checks them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from responsible_ai.auditing import audit
from responsible_ai.policy.loader import load_policy
from responsible_ai.privacy.pipeline import anonymize, read_data

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "policies"
PRIVACY_POLICIES = ["gdpr-pseudonymisation", "k-anonymous-release"]


def _statuses(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {finding.id: finding.status for finding in report.checks}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "RAI_PSEUDONYMIZATION_KEY",
        "a040cd7ba33ed3deb5fc72a1eb82701cae09959f2fa8209e1b2d5b0b35aa85ea",
    )


@pytest.mark.parametrize("name", PRIVACY_POLICIES)
def test_raw_data_meets_expectations(name: str) -> None:
    folder = FIXTURES / name
    expected = yaml.safe_load((folder / "expected.yaml").read_text())
    report = audit(folder / expected["data"], ROOT / "policies" / f"{name}.yaml")
    assert _statuses(report) == expected["checks"]
    assert report.verdict == expected["verdict"]


@pytest.mark.parametrize("name", PRIVACY_POLICIES)
def test_anonymized_data_meets_expectations(name: str) -> None:
    folder = FIXTURES / name
    expected = yaml.safe_load((folder / "expected-after-anonymize.yaml").read_text())
    loaded = load_policy(ROOT / "policies" / f"{name}.yaml")
    result = anonymize(read_data(folder / expected["data"]), loaded.policy)
    report = audit(result.frame.reset_index(drop=True), loaded)
    assert _statuses(report) == expected["checks"]
    assert report.verdict == expected["verdict"]
