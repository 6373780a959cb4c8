"""`rai release` and `rai budget` end to end on the Adult sample, and the release API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from responsible_ai.cli import main
from responsible_ai.errors import InputError
from responsible_ai.privacy.dp import BudgetExceededError, BudgetLedger, release
from responsible_ai.privacy.dp.ledger import NO_DATASET
from responsible_ai.privacy.dp.releases import NO_PREDICTIONS, NOTHING_TO_RELEASE

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "policies" / "dp-release.yaml"


@pytest.fixture(scope="module")
def adult_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Adult sample with a decision column: a simple screening rule stands in for a model."""
    frame = pd.read_csv(ROOT / "sample_data" / "adult.csv")
    frame["approved"] = ((frame["education_num"] >= 13) & (frame["hours_per_week"] >= 40)).astype(
        int
    )
    path = tmp_path_factory.mktemp("data") / "adult.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RAI_LEDGER_URL", raising=False)
    monkeypatch.setenv("RAI_USER", "tester")
    BudgetLedger().register("adult", 2.0, who="steward")  # the data steward's cap
    return tmp_path / "home"


def rai(*args: str) -> int:
    return main([str(a) for a in args])


def test_release_then_refusal(
    adult_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    dry = ("release", adult_csv, "--policy", POLICY, "--prediction", "approved", "--dry-run")
    assert rai(*dry) == 0
    assert "needs epsilon 1.2; 0 of 2 already spent: fits" in capsys.readouterr().out
    assert BudgetLedger().entries().empty
    assert (
        rai("release", adult_csv, "--policy", POLICY, "--prediction", "approved", "--output", first)
        == 0
    )
    out = json.loads(first.read_text())
    assert out["dataset"] == "adult"
    assert out["epsilon_spent"] == pytest.approx(1.2)
    assert out["epsilon_remaining"] == pytest.approx(0.8)
    names = [s["name"] for s in out["statistics"]]
    assert "mean(age)" in names and "histogram(race)" in names
    mean_age = next(s for s in out["statistics"] if s["name"] == "mean(age)")
    female = next(g for g in mean_age["groups"] if g["group"] == "Female")
    assert female["value"] == pytest.approx(36.9, abs=1.0)
    table = out["fairness"][0]
    assert table["by"] == ["sex"]
    assert {row["group"] for row in table["groups"]} == {"Female", "Male"}
    assert {"selection_rate", "true_positive_rate_low", "false_positive_rate_high"} <= set(
        table["groups"][0]
    )
    capsys.readouterr()
    assert rai(*dry) == 1
    assert "would be REFUSED" in capsys.readouterr().out

    # 1.2 spent of 2.0: a second release (1.2) would exceed the budget: exit 1, nothing written.
    assert (
        rai(
            "release", adult_csv, "--policy", POLICY, "--prediction", "approved", "--output", second
        )
        == 1
    )
    assert not second.exists()
    err = capsys.readouterr().err
    assert "privacy budget exceeded" in err and "Traceback" not in err

    assert rai("budget", "adult", "--policy", POLICY) == 0
    printed = capsys.readouterr().out
    assert printed.count("spent") >= 8 and printed.count("refused") == 8
    assert "adult: cap 2, spent epsilon 1.2 of 2, remaining 0.8" in printed
    entries = BudgetLedger().entries("adult")
    assert entries["status"].value_counts().to_dict() == {"spent": 8, "refused": 8}
    assert set(entries["who"]) == {"tester"}


def test_budget_formats(capsys: pytest.CaptureFixture) -> None:
    assert rai("budget") == 0
    assert "adult: cap 2, spent epsilon 0 of 2, remaining 2" in capsys.readouterr().out
    assert rai("budget", "german") == 0
    assert "no operations recorded" in capsys.readouterr().out
    assert rai("budget", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_bad_input_exits_2_and_charges_nothing(
    adult_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "out.json"
    assert rai("release", adult_csv, "--policy", POLICY, "--output", out) == 2  # no predictions
    err = capsys.readouterr().err
    assert NO_PREDICTIONS in err and "Traceback" not in err
    assert rai("release", tmp_path / "missing.csv", "--policy", POLICY, "--output", out) == 2
    assert "data file not found" in capsys.readouterr().err
    assert rai("release", adult_csv, "--policy", POLICY, "--output", tmp_path) == 2  # a directory
    assert "choose a writable file path" in capsys.readouterr().err
    assert rai("release", adult_csv, "--policy", POLICY, "--prediction", "approved") == 2
    assert "needs --output" in capsys.readouterr().err
    assert not out.exists()
    assert BudgetLedger().entries().empty


def small() -> pd.DataFrame:
    return pd.DataFrame({"age": [30.0, 40.0, 50.0] * 100, "sex": ["F", "M", "M"] * 100})


def policy(**release: object) -> dict:
    return {
        "name": "t",
        "privacy": {"epsilon_budget": 1.0},
        "release": {"dataset": "small"} | release,
    }


def registered(path: Path, cap: float = 1.0) -> str:
    BudgetLedger(str(path)).register("small", cap)
    return str(path)


def test_release_api(tmp_path: Path) -> None:
    ledger = BudgetLedger(registered(tmp_path / "l.sqlite"))
    spec = {"statistic": "mean", "column": "age", "bounds": [0, 100], "epsilon": 0.6}
    result = release(small(), policy(statistics=[spec]), ledger=ledger, who="ann", random_state=0)
    assert result.dataset == "small"
    assert result.statistics[0]["value"] == pytest.approx(40, abs=3)
    with pytest.raises(BudgetExceededError):
        release(small(), policy(statistics=[spec]), ledger=ledger, who="ann")
    assert ledger.entries()["status"].tolist() == ["spent", "refused"]


def test_refused_before_any_noise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = []
    monkeypatch.setattr(
        "responsible_ai.privacy.dp.statistics.dp_statistic",
        lambda *a, **k: drawn.append(1) or {},
    )
    spec = {"statistic": "count", "epsilon": 2.0}
    with pytest.raises(BudgetExceededError):
        release(small(), policy(statistics=[spec]), ledger=registered(tmp_path / "l.sqlite"))
    assert drawn == []


def test_nothing_to_release_and_no_budget(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=NOTHING_TO_RELEASE):
        release(small(), policy(), ledger=str(tmp_path / "l.sqlite"))
    count = {"statistics": [{"statistic": "count", "epsilon": 1}]}
    with pytest.raises(InputError, match=r"rai budget set small --cap EPS"):
        release(small(), policy(**count), ledger=str(tmp_path / "l.sqlite"))
    unnamed = {"name": "t", "release": count}
    with pytest.raises(InputError, match=re.escape(NO_DATASET)):
        release(small(), unnamed, ledger=str(tmp_path / "l.sqlite"))


def test_empty_column_is_caught_before_spending(tmp_path: Path) -> None:
    ledger = BudgetLedger(registered(tmp_path / "l.sqlite"))
    frame = small().assign(age=[float("nan")] * 300)
    spec = {"statistic": "mean", "column": "age", "bounds": [0, 100], "epsilon": 0.5}
    with pytest.raises(InputError, match="no values"):
        release(frame, policy(statistics=[spec]), ledger=ledger)
    assert ledger.entries().empty
