"""``rai mitigate``: exit 0 with a model that loads through the trusted loader, 1 naming the
check none could meet, 2 for bad input (nothing written); the reports carry the comparison."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import skops.io as sio
import yaml
from mitigation_helpers import small_policy

from responsible_ai.cli import main
from responsible_ai.mitigate.cli import NOT_SKOPS
from responsible_ai.models import load_model
from responsible_ai.report import report_json_schema


@pytest.fixture()
def files(tmp_path: Path, german_frame: Any, german_model: Any) -> dict[str, Path]:
    data = tmp_path / "german.csv"
    german_frame.to_csv(data, index=False)
    model = tmp_path / "model.skops"
    model.write_bytes(sio.dumps(german_model))
    policy = tmp_path / "policy.yaml"
    mitigation = {
        "methods": ["reweighing", "group_thresholds"],
        "grid": {"group_thresholds": [1.0]},
        "disparate_treatment_reference": "<script>alert(1)</script> ECOA",
    }
    policy.write_text(yaml.safe_dump(small_policy(**mitigation)))
    return {"data": data, "model": model, "policy": policy, "dir": tmp_path}


def _run(files: dict[str, Path], *extra: str) -> int:
    args = ["mitigate", str(files["data"]), "--policy", str(files["policy"])]
    return main([*args, "--model", str(files["model"]), *extra])


def test_chooses_saves_and_reports(files: dict[str, Path], capsys: Any) -> None:
    out = files["dir"] / "mitigated.skops"
    report = files["dir"] / "mitigation.json"
    pareto = files["dir"] / "pareto.png"
    code = _run(files, "--output", str(out), "--report", str(report), "--pareto", str(pareto))
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "chose " in printed and f"wrote {out}" in printed
    model = load_model(out)  # trusted loader, no --trust-model
    assert hasattr(model, "predict")
    data = json.loads(report.read_text())
    import jsonschema

    jsonschema.validate(data, report_json_schema())
    section = data["mitigation"]
    assert section["chosen"] in [c["name"] for c in section["candidates"]]
    assert section["original"]["name"] == "original"
    assert pareto.read_bytes().startswith(b"\x89PNG")
    chosen = next(c for c in section["candidates"] if c["name"] == section["chosen"])
    assert (
        chosen["passes"]
        and chosen["cost"]["low"] <= chosen["cost"]["value"] <= chosen["cost"]["high"]
    )


@pytest.mark.parametrize("suffix", ["md", "html"])
def test_markdown_and_html_reports_escape_the_policy_text(
    files: dict[str, Path], suffix: str, capsys: Any
) -> None:
    report = files["dir"] / f"mitigation.{suffix}"
    out = files["dir"] / "m.skops"
    assert _run(files, "--output", str(out), "--report", str(report)) == 0
    text = report.read_text()
    assert "Mitigation" in text and "group_thresholds" in text
    assert "<script>" not in text
    assert "disparate treatment" in text
    if suffix == "html":
        assert "<svg" in text  # the Pareto front, inline


def test_none_passing_exits_1_naming_the_check(files: dict[str, Path], capsys: Any) -> None:
    policy = small_policy(methods=["reweighing"])
    policy["checks"][0]["must"] = "<= 0.0"
    files["policy"].write_text(yaml.safe_dump(policy))
    out = files["dir"] / "none.skops"
    assert _run(files, "--output", str(out)) == 1
    assert "none meets equal-opportunity-age" in capsys.readouterr().out
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--output", "model.pkl"], NOT_SKOPS.format(path="model.pkl")),
        (["--output", "{model}"], "model file"),
        (["--output", "x.skops", "--methods", "magic"], "unknown mitigation method(s) magic"),
        (["--output", "x.skops", "--report", "r.txt"], "--report must end in .json, .md or .html"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    files: dict[str, Path], extra: list[str], message: str, capsys: Any
) -> None:
    extra = [item.format(model=files["model"]) for item in extra]
    before = files["model"].read_bytes()
    assert _run(files, *extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert files["model"].read_bytes() == before


def test_says_when_the_original_already_passes(tmp_path: Path, german_model: Any) -> None:
    import io
    from contextlib import redirect_stdout

    model = tmp_path / "model.skops"
    model.write_bytes(sio.dumps(german_model))
    root = Path(__file__).resolve().parents[2]
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            [
                "mitigate",
                str(root / "sample_data" / "german_credit.csv"),
                "--policy",
                "german-credit-lending",
                "--model",
                str(model),
                "--methods",
                "reweighing",
                "--checks",
                "parity-sex-by-age",  # intersectional: sex x age_group
                "--output",
                str(tmp_path / "mitigated.skops"),
            ]
        )
    printed = out.getvalue()
    assert code == 0, printed
    assert "by sex x age_group" in printed
    assert "the original model passes the checks parity-sex-by-age" in printed
