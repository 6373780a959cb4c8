"""The built wheel works outside the checkout (issue 12, item 7).

The wheel is built from a copy of the checkout, without build isolation and without an index
(nothing is downloaded), and installed into a fresh virtual environment that borrows the heavy
dependencies from this one (``--system-site-packages``). Every command then runs from a folder
outside the checkout with ``PYTHONPATH`` cleared, so only the installed package can answer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = "responsible_ai/_shipped"
# What the copy for the build leaves out: caches, build products, tests, trained models.
CACHES = shutil.ignore_patterns("__pycache__", ".*_cache", ".hypothesis", "*.egg-info")
NOT_COPIED = {
    ROOT: {".git", "build", "dist", ".venv", "tests", "benchmarks"},
    ROOT / "sample_data": {"models"},
}


def _not_copied(folder: str, names: list[str]) -> set[str]:
    return set(CACHES(folder, names)) | NOT_COPIED.get(Path(folder), set()) & set(names)


# Nothing may be downloaded: no index, no isolated build environment, no dependencies.
PIP_OFFLINE = ["--no-index", "--no-deps", "--no-build-isolation", "-q"]
GERMAN_ROLES = ["--prediction", "credit", "--positive-label", "good", "--sensitive", "sex"]
ADULT_ROLES = ["--prediction", "income_over_50k", "--positive-label", "1", "--sensitive", "sex"]
BROKEN_POLICY = "name: broken\nversion: '1'\nchecks: []\n"
CHROMIUM = Path("/usr/bin/chromium")  # the browser check runs where the app's e2e test does


def _run(command: list[Any], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "responsible-ai"
    shutil.copytree(ROOT, source, symlinks=True, ignore=_not_copied)
    out = tmp_path_factory.mktemp("dist")
    built = _run([sys.executable, "-m", "pip", "wheel", *PIP_OFFLINE, "-w", out, source])
    assert built.returncode == 0, (
        f"building the wheel failed (pip install -e '.[dev]' installs what it needs):\n"
        f"{built.stdout}{built.stderr}"
    )
    (found,) = out.glob("responsible_ai-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the wheel installed (not editable); returns its bin folder."""
    root = tmp_path_factory.mktemp("venv")
    made = _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", root])
    assert made.returncode == 0, made.stderr
    python = root / "bin" / "python"
    installed = _run([python, "-m", "pip", "install", *PIP_OFFLINE, wheel], cwd=root)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return root / "bin"


@pytest.fixture
def outside(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A working folder outside the checkout, and an environment that cannot import it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "RAI_STORE_URL", "RAI_SAMPLE_DATA", "RAI_APP_SCRIPT"}
    }
    env.update(RAI_HOME=str(tmp_path / "home"), HOME=str(tmp_path), PYTHONNOUSERSITE="1")
    work = tmp_path / "work"
    work.mkdir()
    return work, env


def test_the_wheel_ships_the_app_the_policy_packs_and_the_sample_data(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        sizes = {info.filename: info.file_size for info in archive.infolist()}
    expected = [
        *(f"app/{p.relative_to(ROOT / 'app')}" for p in (ROOT / "app").rglob("*.py")),
        *(f"policies/{p.name}" for p in (ROOT / "policies").glob("*.yaml")),
        *(f"sample_data/{p.name}" for p in (ROOT / "sample_data").glob("*.csv")),
        "sample_data/README.md",
    ]
    assert "app/streamlit_app.py" in expected and "policies/eeoc-four-fifths.yaml" in expected
    for name in expected:
        assert sizes.get(f"{SHIPPED}/{name}") == (ROOT / name).stat().st_size, name
    # every subpackage travels, and nothing the tool writes at run time does
    for init in (ROOT / "responsible_ai").rglob("__init__.py"):
        assert init.relative_to(ROOT).as_posix() in sizes
    assert not [name for name in sizes if "/models/" in name or name.endswith(".skops")]


def test_the_installed_wheel_works_outside_the_checkout(
    venv: Path, outside: tuple[Path, dict[str, str]]
) -> None:
    work, env = outside
    where = _run(
        [
            venv / "python",
            "-c",
            "import responsible_ai; from responsible_ai.datasets import sample_data_dir; "
            "print(responsible_ai.__file__); print(sample_data_dir())",
        ],
        cwd=work,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    package, sample = where.stdout.splitlines()
    assert Path(package).is_relative_to(venv.parent) and not Path(package).is_relative_to(ROOT)

    rai = str(venv / "rai")
    ok = _run(
        [rai, "policy", "validate", "eeoc-four-fifths", "german-credit-lending.yaml"],
        cwd=work,
        env=env,
    )
    assert (ok.returncode, ok.stdout) == (
        0,
        "ok: eeoc-four-fifths\nok: german-credit-lending.yaml\n",
    )
    (work / "broken.yaml").write_text(BROKEN_POLICY, encoding="utf-8")
    broken = _run([rai, "policy", "validate", "broken.yaml"], cwd=work, env=env)
    assert broken.returncode == 2 and "nothing would be checked" in broken.stderr

    german = [rai, "check", f"{sample}/german_credit.csv", "--policy", "eeoc-four-fifths"]
    passing = _run([*german, *GERMAN_ROLES], cwd=work, env=env)
    assert passing.returncode == 0, passing.stderr
    assert passing.stdout.startswith("eeoc-four-fifths 1.1: PASS")
    adult = [rai, "check", f"{sample}/adult.csv", "--policy", "eeoc-four-fifths.yaml"]
    failing = _run([*adult, *ADULT_ROLES, "--output", "report.json"], cwd=work, env=env)
    assert failing.returncode == 1, failing.stderr
    report = json.loads((work / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "fail"
    assert Path(report["inputs"]["policy"]["path"]).is_relative_to(venv.parent)


def test_the_readme_notebook_snippet_runs_from_the_wheel(
    venv: Path, outside: tuple[Path, dict[str, str]]
) -> None:
    work, env = outside
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    notebook = readme.split("## The notebook API", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", notebook, re.S)
    assert snippet is not None
    code = snippet.group(1) + (
        "assert report.passed is False\nprint(len(report.to_dataframe()))\n"
        "import responsible_ai\nprint(responsible_ai.__file__)\n"
    )
    result = _run([venv / "python", "-c", code], cwd=work, env=env)
    assert result.returncode == 0, result.stderr
    *_, rows, package = result.stdout.split()
    assert int(rows) > 5
    assert Path(package).is_relative_to(venv.parent) and not Path(package).is_relative_to(ROOT)


def _shows_the_audited_sample(url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(url)
            page.get_by_text("Checks that need attention").wait_for(timeout=120_000)
            page.get_by_text("German credit sample").first.wait_for(timeout=30_000)
        finally:
            browser.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_rai_app_serves_the_audited_sample_from_the_wheel(
    venv: Path, outside: tuple[Path, dict[str, str]]
) -> None:
    work, env = outside
    # The installed app script renders the audited sample (Streamlit's test runner, no browser).
    shown = _run(
        [
            venv / "python",
            "-c",
            "from streamlit.testing.v1 import AppTest\n"
            "from responsible_ai.resources import app_script\n"
            "at = AppTest.from_file(str(app_script()), default_timeout=240).run()\n"
            "assert not at.exception, [e.value for e in at.exception]\n"
            "print(app_script())\n"
            "print('\\n'.join(m.value for m in at.sidebar.markdown))\n",
        ],
        cwd=work,
        env=env,
    )
    assert shown.returncode == 0, shown.stderr
    script, *sidebar = shown.stdout.splitlines()
    assert Path(script).is_relative_to(venv.parent)
    assert any("German credit sample" in line for line in sidebar), sidebar

    # The real server: rai app, headless, on loopback.
    port = _free_port()
    log = work / "app.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(venv / "rai"), "app", "--headless", "--port", str(port)],
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as health:
                    assert health.read() == b"ok"
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as page:
            assert page.status == 200 and b"<title>" in page.read().lower()
        if CHROMIUM.exists():  # what a person sees: the audited sample, rendered by the wheel
            _shows_the_audited_sample(f"http://127.0.0.1:{port}/")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert f"127.0.0.1:{port}" in log.read_text()
