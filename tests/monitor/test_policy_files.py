"""Files a policy names resolve against the policy that names them, and only inside its folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from responsible_ai.cli import main
from responsible_ai.errors import InputError
from responsible_ai.monitor.run import REFERENCE_OUTSIDE, monitor

from .conftest import LOGS, REFERENCE


@pytest.fixture()
def two_months(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("2025-06.parquet", "2025-07.parquet"):
        shutil.copy(LOGS / name, logs / name)
    return logs


def test_a_policy_extending_the_shipped_pack_finds_the_packs_reference(tmp_path, two_months):
    # the pack says ../sample_data/...: relative to the pack, not to the user's policy
    child = tmp_path / "mine" / "watch.yaml"
    child.parent.mkdir()
    child.write_text("name: my-monitoring\nextends: monitoring.yaml\n")
    run = monitor(two_months, child)
    assert Path(run.report.inputs["reference"]["path"]).resolve() == REFERENCE.resolve()


def test_a_base_policys_reference_is_next_to_the_base(tmp_path, two_months):
    team = tmp_path / "team"
    team.mkdir()
    shutil.copy(REFERENCE, team / "reference.parquet")
    base = (REFERENCE.parents[2] / "policies" / "monitoring.yaml").read_text()
    base = base.replace(
        "../sample_data/monitoring/german_credit_reference.parquet", "reference.parquet"
    )
    (team / "base.yaml").write_text(base)
    child = tmp_path / "child.yaml"
    child.write_text("name: child\nextends: team/base.yaml\n")
    run = monitor(two_months, child)
    assert Path(run.report.inputs["reference"]["path"]) == team / "reference.parquet"


def test_a_reference_beside_the_policies_folder_is_read(tmp_path, two_months):
    (tmp_path / "policies").mkdir()
    (tmp_path / "data").mkdir()
    shutil.copy(REFERENCE, tmp_path / "data" / "reference.parquet")
    text = (REFERENCE.parents[2] / "policies" / "monitoring.yaml").read_text()
    policy = tmp_path / "policies" / "watch.yaml"
    policy.write_text(
        text.replace(
            "../sample_data/monitoring/german_credit_reference.parquet", "../data/reference.parquet"
        )
    )
    run = monitor(two_months, policy)
    assert run.report.inputs["reference"]["rows"] == 1000


def test_a_reference_outside_the_policys_project_is_refused(tmp_path, two_months, capsys):
    secret = tmp_path / "secret.csv"
    pd.DataFrame({"status": ["the password is hunter2"] * 5}).to_csv(secret, index=False)
    policies = tmp_path / "project" / "policies"
    policies.mkdir(parents=True)
    text = (REFERENCE.parents[2] / "policies" / "monitoring.yaml").read_text()
    policy = policies / "hostile.yaml"
    policy.write_text(
        text.replace(
            "../sample_data/monitoring/german_credit_reference.parquet", "../../secret.csv"
        )
    )
    with pytest.raises(InputError) as refused:
        monitor(two_months, policy)
    home = policies.parent.resolve()
    assert str(refused.value) == REFERENCE_OUTSIDE.format(path="../../secret.csv", home=home)
    assert main(["monitor", str(two_months), "--policy", str(policy)]) == 2
    shown = capsys.readouterr()
    assert "leads outside" in shown.err
    assert "hunter2" not in shown.out + shown.err
    # the user's own --reference is theirs to give
    assert main(
        ["monitor", str(two_months), "--policy", str(policy), "--reference", str(REFERENCE)]
    ) in (0, 1)


@pytest.mark.parametrize("name", ["bad\x00name.parquet", "../../../../../../../../etc/passwd"])
def test_an_unusable_or_escaping_reference_is_one_line_exit_2(tmp_path, two_months, capsys, name):
    text = (REFERENCE.parents[2] / "policies" / "monitoring.yaml").read_text()
    policy = tmp_path / "policies" / "hostile.yaml"
    policy.parent.mkdir()
    policy.write_text(
        text.replace(
            "reference: ../sample_data/monitoring/german_credit_reference.parquet",
            f"reference: {json.dumps(name)}",
        )
    )
    assert main(["monitor", str(two_months), "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rai: error: monitoring.reference") and err.count("\n") == 1
