"""The policy loader reports every problem at once, with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from responsible_ai.errors import PolicyError
from responsible_ai.policy import load_policy, policy_json_schema

GOOD = """\
name: test
version: "1.0"
data:
  target: credit
  positive_label: good
  sensitive: [sex]
checks:
  - id: four-fifths
    metric: fairness.selection_rate_ratio
    by: sex
    must: ">= 0.8"
    severity: high
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def issues_of(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return [str(issue) for issue in caught.value.issues]


def test_valid_policy_loads(tmp_path: Path) -> None:
    loaded = load_policy(write(tmp_path, GOOD))
    check = loaded.policy.checks[0]
    assert check.must.operator == ">=" and check.must.threshold == 0.8
    assert loaded.sha256 is not None and len(loaded.sha256) == 64


def test_typo_in_key_is_an_error_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    severity: high", "    severty: high"))
    assert issues_of(path) == [
        f"{path}:12: checks[0].severty: unknown key (a typo? unknown keys are errors so that no "
        "check is silently ignored)"
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("fail_on", "x") + "fail_on: urgent\nextra_key: 1\n"
    text = text.replace('must: ">= 0.8"', 'must: "=> 0.8"').replace("severity: high", "severity: 3")
    found = issues_of(write(tmp_path, text))
    fields = [issue.split(": ", 2)[1] for issue in found]
    assert fields == ["checks[0].must", "checks[0].severity", "fail_on", "extra_key"]
    assert all(":" in issue.split(" ")[0] for issue in found)  # file:line on every problem


def test_unknown_metric_suggests_close_matches(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("fairness.selection_rate_ratio", "fairness.selection_ratio")
    )
    (issue,) = issues_of(path)
    assert issue.startswith(
        f"{path}:9: checks[0].metric: unknown metric 'fairness.selection_ratio'"
    )
    assert "did you mean 'fairness.selection_rate_ratio'" in issue


def test_missing_family_prefix_still_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("fairness.selection_rate_ratio", "selection_rate_ratio"))
    (issue,) = issues_of(path)
    assert "did you mean 'fairness.selection_rate_ratio'" in issue


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  sensitive: [sex]", "  sensitive: [sex"))
    (issue,) = issues_of(path)
    assert issue.startswith(f"{path}:") and "invalid YAML" in issue


def test_wrong_type_names_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  sensitive: [sex]", "  sensitive: {a: 1}"))
    (issue,) = issues_of(path)
    assert issue.startswith(f"{path}:6: data.sensitive:")


def test_missing_required_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('    must: ">= 0.8"\n', ""))
    (issue,) = issues_of(path)
    assert "checks[0].must: required field is missing" in issue
    assert issue.startswith(f"{path}:8:")  # the check's own line


def test_duplicate_keys_and_ids_are_errors(tmp_path: Path) -> None:
    text = (
        GOOD + "  - id: four-fifths\n    metric: fairness.selection_rate_ratio\n    must: '>= 1'\n"
    )
    text = text.replace('version: "1.0"\n', 'version: "1.0"\nversion: "2"\n')
    found = issues_of(write(tmp_path, text))
    assert any("duplicate key 'version'" in issue for issue in found)


def test_duplicate_check_id(tmp_path: Path) -> None:
    text = (
        GOOD + "  - id: four-fifths\n    metric: fairness.selection_rate_ratio\n    must: '>= 1'\n"
    )
    found = issues_of(write(tmp_path, text))
    assert found == [
        f"{tmp_path / 'policy.yaml'}:13: checks[1].id: check id 'four-fifths' is used "
        "twice (first at checks[0])"
    ]


def test_unknown_param_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace("    severity: high", "    severity: high\n    params:\n      min_grup: 3")
    (issue,) = issues_of(write(tmp_path, text))
    assert "checks[0].params.min_grup: unknown key" in issue
    assert ":14:" in issue


def test_not_a_mapping(tmp_path: Path) -> None:
    (issue,) = issues_of(write(tmp_path, "- just\n- a list\n"))
    assert "must be a mapping" in issue


def test_extends_overrides_by_id_and_reports_base_file(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "base.yaml")
    child = write(
        tmp_path,
        "name: child\nextends: base.yaml\nchecks:\n  - id: four-fifths\n    must: '>= 0.9'\n"
        "  - id: parity\n    metric: fairness.demographic_parity_difference\n    must: '<= 0.1'\n",
    )
    loaded = load_policy(child)
    assert loaded.policy.name == "child"
    assert [c.id for c in loaded.policy.checks] == ["four-fifths", "parity"]
    assert loaded.policy.checks[0].must.threshold == 0.9
    assert loaded.policy.checks[0].metric == "fairness.selection_rate_ratio"  # inherited
    assert loaded.policy.data.target == "credit"
    assert [Path(f["path"]).name for f in loaded.files] == ["policy.yaml", "base.yaml"]


def test_errors_in_a_child_point_at_the_child(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "base.yaml")
    child = write(
        tmp_path,
        "name: child\nextends: base.yaml\nchecks:\n  - id: four-fifths\n    must: 'at least 0.9'\n",
        "child.yaml",
    )
    (issue,) = issues_of(child)
    assert issue.startswith(f"{child}:5: checks[0].must:")


def test_errors_in_a_base_point_at_the_base(tmp_path: Path) -> None:
    base = write(tmp_path, GOOD.replace("severity: high", "severity: hihg"), "base.yaml")
    child = write(tmp_path, "name: child\nextends: base.yaml\n", "child.yaml")
    (issue,) = issues_of(child)
    assert issue.startswith(f"{base}:12: checks[0].severity:")


def test_extends_cycle_and_missing_base(tmp_path: Path) -> None:
    write(tmp_path, "name: a\nextends: b.yaml\n", "a.yaml")
    write(tmp_path, "name: b\nextends: a.yaml\n", "b.yaml")
    assert "extends itself" in issues_of(tmp_path / "a.yaml")[0]
    missing = write(tmp_path, "name: c\nextends: nowhere.yaml\n", "c.yaml")
    assert issues_of(missing) == [
        f"{missing}:2: extends: cannot find the base policy {tmp_path / 'nowhere.yaml'}"
    ]


def test_shipped_policies_are_valid(policies_dir: Path) -> None:
    files = sorted(policies_dir.glob("*.yaml"))
    assert files
    for file in files:
        load_policy(file)


def test_json_schema_forbids_unknown_keys() -> None:
    schema = policy_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["Check"]["additionalProperties"] is False
    assert schema["$defs"]["Check"]["properties"]["must"]["type"] == "string"


def test_text_is_loaded_as_if_it_lived_at_the_path(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "base.yaml")
    loaded = load_policy(tmp_path / "edited.yaml", text="name: edited\nextends: base.yaml\n")
    assert loaded.policy.name == "edited" and [c.id for c in loaded.policy.checks] == [
        "four-fifths"
    ]
    assert [Path(f["path"]).name for f in loaded.files] == ["edited.yaml", "base.yaml"]
    assert not (tmp_path / "edited.yaml").exists()


def test_validate_names_only_the_files_that_are_valid(tmp_path: Path) -> None:
    import contextlib
    import io

    from responsible_ai.cli import main

    write(tmp_path, GOOD.replace("severity: high", "severity: hihg"), "base.yaml")
    child = write(tmp_path, "name: child\nextends: base.yaml\n", "child.yaml")
    good = write(tmp_path, GOOD, "good.yaml")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["policy", "validate", str(child), str(good)])
    assert code == 2
    assert out.getvalue() == f"ok: {good}\n"  # not the child, whose base is broken
    assert f"{tmp_path / 'base.yaml'}:12: checks[0].severity:" in err.getvalue()
