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


GC_PROBE = """
import gc, sys
sys.path.insert(0, sys.argv[1])
from responsible_ai.cliutils import preload

class Cycle:
    pass

garbage = Cycle()
garbage.self = garbage
freed = []
import weakref
weakref.finalize(garbage, freed.append, True)
del garbage
before = gc.get_freeze_count()
preload("rai_probe_module")
print(
    "loaded" if "rai_probe_module" in sys.modules else "missing",
    "frozen" if gc.get_freeze_count() > before else "not-frozen",
    "enabled" if gc.isenabled() else "disabled",
    "freed" if freed else "kept",
)
gc.disable()
preload("rai_probe_module")  # already imported: nothing to do, and gc stays as the caller set it
print("still-disabled" if not gc.isenabled() else "re-enabled")
"""


def test_preload_freezes_what_it_imports_not_what_was_garbage(tmp_path: Path) -> None:
    (tmp_path / "rai_probe_module.py").write_text("TABLE = [[i] for i in range(1000)]\n")
    result = subprocess.run(
        [sys.executable, "-c", GC_PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["loaded", "frozen", "enabled", "freed", "still-disabled"]
