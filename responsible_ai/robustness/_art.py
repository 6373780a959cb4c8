"""IBM's Adversarial Robustness Toolbox, imported quietly, or a clear error naming the extra."""

from __future__ import annotations

import importlib
import logging
import warnings
from types import ModuleType

__all__ = ["ART_MISSING", "art_module"]

ART_MISSING = (
    "cannot attack: this check needs IBM's adversarial-robustness-toolbox; install it with "
    "pip install 'responsible-ai[robustness]'"
)


def art_module(name: str) -> ModuleType:
    """Import ``art.<name>``; ``RuntimeError`` with :data:`ART_MISSING` when ART is missing.

    ART warns "PyTorch not found" on import, and logs its attacks' progress: neither is for our
    users, who have not asked for PyTorch.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not found.*", category=UserWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        try:
            module = importlib.import_module(f"art.{name}")
        except ImportError as error:
            if error.name is not None and error.name.split(".")[0] == "art":
                raise RuntimeError(ART_MISSING) from None
            raise
    logging.getLogger("art").setLevel(logging.WARNING)
    return module
