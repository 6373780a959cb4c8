"""The policy's robustness: section and data.train; the command line's --train."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from robustness_helpers import security_policy

from responsible_ai import audit
from responsible_ai.errors import InputError, PolicyError
from responsible_ai.policy import policy_json_schema
from responsible_ai.policy.loader import policy_from_dict
from responsible_ai.robustness.training import TRAIN_MISSING_COLUMNS, TRAIN_OUTSIDE

ROOT = Path(__file__).resolve().parents[2]
MIA = {"id": "mia", "metric": "privacy.membership_inference_advantage", "must": "<= 0.1"}


def test_unknown_robustness_key_is_an_error() -> None:
    with pytest.raises(PolicyError, match="evasion_querys"):
        policy_from_dict(security_policy(MIA, evasion_querys=10))


def test_budgets_are_bounded() -> None:
    with pytest.raises(PolicyError, match="evasion_queries"):
        policy_from_dict(security_policy(MIA, evasion_queries=1))


def test_published_schema_has_the_section_and_data_train() -> None:
    schema = json.dumps(policy_json_schema())
    assert "RobustnessSettings" in schema and "evasion_queries" in schema
    assert "membership inference and the poisoning screen" in schema  # data.train


def _write_policy(folder: Path, train: str) -> Path:
    policy = security_policy(MIA)
    policy["data"]["train"] = train
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    return path


def test_data_train_is_read_next_to_the_policy(tmp_path, german_split) -> None:
    german_split["train"].to_csv(tmp_path / "train.csv", index=False)
    report = audit(
        german_split["held_out"], _write_policy(tmp_path, "train.csv"), model=german_split["smooth"]
    )
    assert report.checks[0].status == "pass", report.checks[0].message
    assert report.inputs["train"]["rows"] == len(german_split["train"])
    assert len(report.inputs["train"]["sha256"]) == 64


def test_data_train_outside_the_policy_folder_is_refused(tmp_path, german_split) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    german_split["train"].to_csv(tmp_path / "train.csv", index=False)
    with pytest.raises(InputError) as refused:
        audit(
            german_split["held_out"],
            _write_policy(folder, "../train.csv"),
            model=german_split["smooth"],
        )
    assert str(refused.value) == TRAIN_OUTSIDE.format(path="../train.csv", home=folder.resolve())


def test_training_data_without_the_model_columns_is_refused(german_split) -> None:
    train = german_split["train"].drop(columns=["age"])
    with pytest.raises(InputError) as refused:
        audit(
            german_split["held_out"],
            security_policy(MIA),
            model=german_split["smooth"],
            train=train,
        )
    assert str(refused.value) == TRAIN_MISSING_COLUMNS.format(name="(in memory)", columns=["age"])


def _rai(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env_path = {"PYTHONPATH": str(ROOT)}
    import os

    return subprocess.run(
        [sys.executable, "-m", "responsible_ai.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=os.environ | env_path,
        timeout=300,
    )


def test_cli_missing_training_file_exits_2_with_one_line(tmp_path, german_split) -> None:
    german_split["held_out"].to_csv(tmp_path / "held.csv", index=False)
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(security_policy(MIA)))
    result = _rai(
        "check",
        "held.csv",
        "--policy",
        str(policy),
        "--prediction",
        "credit",
        "--train",
        "nope.csv",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "rai: error: training data file 'nope.csv' does not exist (data.train, --train)"
    ]
    assert "Traceback" not in result.stderr


def test_cli_holdout_out_of_range_exits_2(tmp_path) -> None:
    result = _rai(
        "reference-models", "--dataset", "german_credit", "--holdout", "1.5", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "rai: error: holdout must be a fraction in (0, 0.9]; got 1.5"
    assert not list(tmp_path.iterdir())  # nothing written


def test_data_train_of_a_base_policy_is_next_to_the_base(tmp_path, german_split) -> None:
    team = tmp_path / "team"
    team.mkdir()
    german_split["train"].to_csv(team / "train.csv", index=False)
    base = _write_policy(team, "train.csv")
    child = tmp_path / "child.yaml"
    child.write_text(f"name: child\nextends: team/{base.name}\n")
    report = audit(german_split["held_out"], child, model=german_split["smooth"])
    assert report.inputs["train"]["path"] == str(team / "train.csv")
