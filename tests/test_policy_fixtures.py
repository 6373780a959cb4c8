"""Every shipped policy is tested by a fixture folder: data plus the expected status of each check.

``tests/fixtures/policies/<policy name>/expected.yaml`` says how to get the data and what to expect:

``data``
    A CSV file in the folder, or ``sample`` with the name of a sample dataset
    (:mod:`responsible_ai.datasets`), optionally filtered by ``rows`` (column: value).
``model``
    ``reference``: audit the sample dataset's reference model
    (:mod:`responsible_ai.reference_models`). ``holdout: FRACTION`` beside it trains the model on
    all but that share of rows, audits the held-out rows and gives the others as ``train``.
``audit``
    Further keyword arguments of :func:`responsible_ai.auditing.audit` (``prediction``, ``target``,
    ``sensitive``, ``positive_label``, ...).
``policy``
    Optional path of the policy from the repository root; default ``policies/<folder name>.yaml``.
``verdict``, ``checks``
    The expected verdict, and the expected status of every finding by id (all of them: a finding
    that is not listed, or listed but absent, fails the test).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "policies"
FOLDERS = sorted(path for path in FIXTURES.iterdir() if (path / "expected.yaml").is_file())


@cache
def _reference_model(name: str, holdout: float = 0.0) -> Any:
    from responsible_ai.reference_models import train_reference_model

    return train_reference_model(name, holdout=holdout)[0]


def _run(folder: Path) -> tuple[dict[str, Any], Any]:
    from responsible_ai.auditing import audit
    from responsible_ai.datasets import load_sample

    expected = yaml.safe_load((folder / "expected.yaml").read_text())
    policy = ROOT / expected.get("policy", f"policies/{folder.name}.yaml")
    options = dict(expected.get("audit", {}))
    if "sample" in expected:
        dataset = load_sample(expected["sample"])
        data: Any = dataset.data
        for column, value in expected.get("rows", {}).items():
            data = data.loc[data[column] == value].reset_index(drop=True)
        if expected.get("model") == "reference":
            holdout = float(expected.get("holdout", 0.0))
            options["model"] = _reference_model(expected["sample"], holdout)
            if holdout:
                from responsible_ai.reference_models import reference_training_rows

                trained = reference_training_rows(dataset, holdout).to_numpy()
                options["train"] = data.loc[trained].reset_index(drop=True)
                data = data.loc[~trained].reset_index(drop=True)
    else:
        data = folder / expected["data"]
    return expected, audit(data, policy, **options)


def test_every_shipped_policy_has_a_fixture_folder() -> None:
    policies = {path.stem for path in (ROOT / "policies").glob("*.yaml")}
    missing = sorted(policies - {folder.name for folder in FOLDERS})
    assert not missing, f"add tests/fixtures/policies/<name>/expected.yaml for: {missing}"


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_policy_gives_the_expected_statuses(folder: Path) -> None:
    expected, report = _run(folder)
    statuses = {finding.id: finding.status for finding in report.checks}
    messages = {finding.id: finding.message for finding in report.checks}
    assert statuses == expected["checks"], messages
    assert report.verdict == expected["verdict"]
