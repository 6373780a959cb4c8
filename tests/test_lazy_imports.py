"""Audits import only what they use: a fairness-only audit never loads shap (nor does explaining
a linear model: only TreeSHAP needs it), and no audit loads the review store's database layer
unless it submits. (``rai --help`` and ``rai policy validate``: tests/cli/test_cli_startup.py.)

Each case runs the CLI's ``main`` in a fresh interpreter (the test process has imported
everything already) and reads ``sys.modules`` when the command has finished.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "pandas", "scipy", "sklearn", "shap", "sqlalchemy", "streamlit", "fastapi")

_RUN_MAIN = """
import contextlib, io, json, sys
from responsible_ai.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as stop:
        code = stop.code
top = {{name.split(".")[0] for name in sys.modules}} & set({heavy!r})
whole = {{name for name in sys.modules if name.split(".")[0] in top}}
loaded = sorted(whole if {submodules!r} else top)
print(json.dumps({{"code": code, "loaded": loaded}}))
"""


# The German reference model, saved as a .skops file inside tmp_path before the command runs.
_SAVE_REFERENCE_MODEL = (
    "import skops.io\n"
    "from responsible_ai.reference_models import train_reference_model\n"
    "skops.io.dump(train_reference_model('german_credit')[0], 'model.skops')\n"
)


def _loaded_after(
    *argv: str,
    cwd: Path,
    prelude: str = "",
    heavy: tuple[str, ...] = HEAVY,
    submodules: bool = False,
) -> tuple[int, list[str]]:
    """Exit code of ``rai *argv`` and the ``heavy`` libraries loaded once it has run (with
    ``submodules``, every loaded module of theirs: ``scipy.special``)."""
    code = prelude + _RUN_MAIN.format(heavy=heavy, submodules=submodules)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return int(result["code"]), list(result["loaded"])


def test_fairness_only_audit_with_a_model_never_imports_shap(tmp_path: Path) -> None:
    code, loaded = _loaded_after(
        "check",
        str(ROOT / "sample_data" / "german_credit.csv"),
        "--policy",
        "eeoc-four-fifths",
        "--model",
        "model.skops",
        "--target",
        "credit",
        "--positive-label",
        "good",
        "--sensitive",
        "sex,age_group",
        cwd=tmp_path,
        prelude=_SAVE_REFERENCE_MODEL,
    )
    assert code in (0, 1)  # a verdict, whichever it is
    assert "sklearn" in loaded  # the model did run
    assert "shap" not in loaded
    assert "sqlalchemy" not in loaded  # nothing is submitted


def test_explaining_the_linear_reference_model_does_not_import_shap(tmp_path: Path) -> None:
    """The lending policy's explanation checks on a linear model: linear SHAP is numpy."""
    code, loaded = _loaded_after(
        "check",
        str(ROOT / "sample_data" / "german_credit.csv"),
        "--policy",
        str(ROOT / "policies" / "german-credit-lending.yaml"),
        "--model",
        "model.skops",
        cwd=tmp_path,
        prelude=_SAVE_REFERENCE_MODEL,
    )
    assert code == 1  # the README's verdict: the explanation checks did run
    assert "shap" not in loaded
    assert "sqlalchemy" not in loaded


def test_explaining_a_tree_model_does_import_shap(tmp_path: Path) -> None:
    """The probe can fail: TreeSHAP comes from shap."""
    prelude = (
        "import skops.io\n"
        "from sklearn.tree import DecisionTreeClassifier\n"
        "from responsible_ai.datasets import load_sample\n"
        "from responsible_ai.reference_models import build_reference_model\n"
        "german = load_sample('german_credit')\n"
        "model = build_reference_model(german)\n"
        "model.steps[-1] = ('model', DecisionTreeClassifier(max_depth=3, random_state=0))\n"
        "model.fit(german.data[german.features], german.data[german.target])\n"
        "skops.io.dump(model, 'model.skops')\n"
    )
    code, loaded = _loaded_after(
        "check",
        str(ROOT / "sample_data" / "german_credit.csv"),
        "--policy",
        str(ROOT / "policies" / "german-credit-lending.yaml"),
        "--model",
        "model.skops",
        cwd=tmp_path,
        prelude=prelude,
    )
    assert code in (0, 1)
    assert "shap" in loaded


@pytest.mark.parametrize(
    ("name", "exists"),
    [
        ("responsible_ai.store.cli", True),
        ("responsible_ai.store.no_such_module", False),
        ("responsible_ai.errors.not_a_package", False),
        ("no_such_package_rai.cli", False),
    ],
)
def test_module_exists_does_not_import_the_package_it_looks_in(
    tmp_path: Path, name: str, exists: bool
) -> None:
    code = (
        "import sys\n"
        "from responsible_ai._modules import module_exists\n"
        f"found = module_exists({name!r})\n"
        "print(found, 'responsible_ai.store' in sys.modules, 'sqlalchemy' in sys.modules)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.stdout.split() == [str(exists), "False", "False"], done.stderr


def test_monitor_follow_imports_no_scipy(tmp_path: Path) -> None:
    # Only the first run needs what the reference's profile takes; a --follow with
    # Jensen-Shannon drift, chi-square tests and normal intervals computes them without scipy,
    # and counts a small new file without starting DuckDB.
    import shutil

    from responsible_ai.cli import main

    monitoring = ROOT / "sample_data" / "monitoring"
    policy = (ROOT / "policies" / "monitoring.yaml").read_text()
    policy = policy.replace("method: auto", "method: jensen_shannon").replace(
        "../sample_data/monitoring/german_credit_reference.parquet",
        str(monitoring / "german_credit_reference.parquet"),
    )
    (tmp_path / "policy.yaml").write_text(policy)
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(monitoring / "german_credit_logs" / "2025-06.parquet", logs)
    args = ["monitor", str(logs), "--policy", str(tmp_path / "policy.yaml")]
    state = ["--state", str(tmp_path / "state.json")]
    assert main([*args, *state]) in (0, 1)
    shutil.copy(monitoring / "german_credit_logs" / "2025-07.parquet", logs)
    code, loaded_names = _loaded_after(
        *args,
        *state,
        "--follow",
        cwd=tmp_path,
        heavy=("scipy", "sklearn", "sqlalchemy", "duckdb"),
        submodules=True,
    )
    assert code in (0, 1)
    assert "2025-07" in (tmp_path / "state.json").read_text()  # the new month was counted
    assert loaded_names == []
