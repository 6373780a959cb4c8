"""Optional modules: capabilities plug in by existing, without a central list of imports."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys

__all__ = ["module_exists"]


def module_exists(name: str) -> bool:
    """Whether ``name`` can be imported, without importing it (a missing parent counts as no).

    ``importlib.util.find_spec("a.b.c")`` imports ``a.b`` to read its ``__path__``; a package
    whose ``__init__`` loads a heavy library (``responsible_ai.store`` loads SQLAlchemy) would
    then be imported by every command that merely asks whether it is there.
    """
    return _spec(name) is not None


def _spec(name: str) -> importlib.machinery.ModuleSpec | None:
    module = sys.modules.get(name)
    if module is not None:
        return getattr(module, "__spec__", None) or importlib.machinery.ModuleSpec(name, None)
    parent, _, _ = name.rpartition(".")
    if not parent:
        try:
            return importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
    parent_spec = _spec(parent)
    locations = parent_spec.submodule_search_locations if parent_spec else None
    if locations is None:  # missing, or a module rather than a package
        return None
    return importlib.machinery.PathFinder.find_spec(name, list(locations))
