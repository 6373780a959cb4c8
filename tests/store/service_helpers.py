"""Helpers of the service tests: the in-process CLI, a failing German credit run, a clean env."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from pathlib import Path

from responsible_ai.cli import main
from responsible_ai.datasets import load_german_credit

LENDING = Path(__file__).with_name("lending-fairness.yaml")
BLOCKING = ["equal-opportunity-age", "four-fifths-rule[age_group]", "four-fifths-rule[sex]"]
CI_VARIABLES = [
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_SHA",
    "GITHUB_REF_NAME",
    "GITHUB_HEAD_REF",
    "GITLAB_CI",
    "CI_JOB_URL",
    "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME",
    "BUILD_URL",
    "JENKINS_URL",
    "GIT_COMMIT",
    "GIT_BRANCH",
    "BRANCH_NAME",
    "RAI_SUBMIT",
    "RAI_TOKEN",
    "RAI_APP_URL",
    "RAI_STORE_URL",
    "RAI_STORE_KEY",
    "RAI_STORE_KEY_FILE",
    "RAI_NEW_PASSWORD",
]


def rai(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in-process; exit code, stdout and stderr as a subprocess would give."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd or Path(__file__).resolve().parents[2])
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def failing_csv(folder: Path) -> Path:
    """German credit with decisions that refuse everyone under 25: three blocking checks."""
    german = load_german_credit().data
    approved = german["credit"].where(german["age_group"] != "under 25", "bad")
    path = folder / "german.csv"
    german.assign(approved=approved).to_csv(path, index=False)
    return path


def check_args(data: Path) -> list[str]:
    return ["check", str(data), "--policy", str(LENDING), "--prediction", "approved"]
