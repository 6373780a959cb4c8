"""Optional modules: capabilities plug in by existing, without a central list of imports."""

from __future__ import annotations

import importlib.util

__all__ = ["module_exists"]


def module_exists(name: str) -> bool:
    """Whether ``name`` can be imported, without importing it (a missing parent counts as no)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
