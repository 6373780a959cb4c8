"""What every ``rai`` subcommand module shares: exit codes and argument parsers.

Below the top-level ``cli`` so that capability modules (``explain/cli.py``, ``privacy/dp/cli.py``,
...) need not import the command line that imports them. Only the standard library at the top:
``rai --help`` must stay fast.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EXIT_FAIL",
    "EXIT_INTERNAL",
    "EXIT_PASS",
    "EXIT_USAGE",
    "csv_list",
    "label_from_text",
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
