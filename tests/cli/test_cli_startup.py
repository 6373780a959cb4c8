"""`rai --help`, `rai metrics` and `rai policy validate` must not import the heavy libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# sqlalchemy: every command registers the store's subcommands, which must not load the store.
HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "sklearn",
    "shap",
    "streamlit",
    "diffprivlib",
    "matplotlib",
    "sqlalchemy",
    "fastapi",
)

PROBE = """
import sys
from responsible_ai.cli import main
for argv in (["metrics"], ["policy", "validate", *sys.argv[1:]]):
    main(argv)
try:
    main(["--help"])
except SystemExit:
    pass
print("HEAVY:", ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def test_light_commands_stay_light(root: Path) -> None:
    policies = [str(p) for p in sorted((root / "policies").glob("*.yaml"))]
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *policies],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "HEAVY:"
