"""What every ``rai`` subcommand module shares: exit codes and argument parsers.

Below the top-level ``cli`` so that capability modules (``explain/cli.py``, ``privacy/dp/cli.py``,
...) need not import the command line that imports them. Only the standard library at the top:
``rai --help`` must stay fast.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import Any

__all__ = [
    "EXIT_FAIL",
    "EXIT_INTERNAL",
    "EXIT_PASS",
    "EXIT_USAGE",
    "csv_list",
    "label_from_text",
    "preload",
]

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def csv_list(text: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``: a comma-separated option value."""
    return [item.strip() for item in text.split(",") if item.strip()]


def label_from_text(text: str) -> Any:
    """Read a label as YAML would (``1`` is a number, ``good`` is text), like in a policy file."""
    import yaml

    value = yaml.safe_load(text)
    return value if isinstance(value, str | int | float | bool) else text


def preload(*modules: str) -> None:
    """Import the libraries a command needs with the garbage collector paused, then freeze them.

    pandas, scikit-learn and scipy leave about a million objects that live until the process
    ends; Python's cyclic collector would walk all of them at every full collection, while they
    load and while the command runs (0.4 s of a 2.5 s ``rai check``). Frozen, they are never
    walked again (:func:`gc.freeze`). What was garbage before is collected first, so nothing
    that should be freed is frozen; modules already imported cost nothing.
    """
    missing = [name for name in modules if name not in sys.modules]
    if not missing:
        return
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for name in missing:
            importlib.import_module(name)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
