"""responsible-ai: audit ML models and their data against policies written as code.

The public API is small: :func:`audit` runs a policy and returns a :class:`Report`.
Submodules load lazily so that importing the package (and ``rai --help``) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsible_ai.auditing import audit
    from responsible_ai.errors import InputError, PolicyError, RAIError, UntrustedModelError
    from responsible_ai.models import load_model
    from responsible_ai.policy import Policy, load_policy
    from responsible_ai.report import Report

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "Policy",
    "PolicyError",
    "RAIError",
    "Report",
    "UntrustedModelError",
    "__version__",
    "audit",
    "load_model",
    "load_policy",
]

_LAZY = {
    "audit": "responsible_ai.auditing",
    "InputError": "responsible_ai.errors",
    "PolicyError": "responsible_ai.errors",
    "RAIError": "responsible_ai.errors",
    "UntrustedModelError": "responsible_ai.errors",
    "load_model": "responsible_ai.models",
    "Policy": "responsible_ai.policy",
    "load_policy": "responsible_ai.policy",
    "Report": "responsible_ai.report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'responsible_ai' has no attribute {name!r}")
