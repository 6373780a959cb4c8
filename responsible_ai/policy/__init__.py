"""Policy as code: the schema, loading with ``extends``, and JSON Schema export.

Names are loaded lazily: each family's settings module imports ``policy._base``, and the schema
imports those settings modules, so importing this package must not import the schema eagerly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsible_ai.policy.loader import (
        LoadedPolicy,
        load_policy,
        policy_from_dict,
        validate_policy_files,
    )
    from responsible_ai.policy.schema import Check, Condition, DataRoles, Policy

__all__ = [
    "Check",
    "Condition",
    "DataRoles",
    "LoadedPolicy",
    "Policy",
    "load_policy",
    "policy_from_dict",
    "policy_json_schema",
    "validate_policy_files",
]

_LAZY = {
    "LoadedPolicy": "responsible_ai.policy.loader",
    "load_policy": "responsible_ai.policy.loader",
    "policy_from_dict": "responsible_ai.policy.loader",
    "validate_policy_files": "responsible_ai.policy.loader",
    "Check": "responsible_ai.policy.schema",
    "Condition": "responsible_ai.policy.schema",
    "DataRoles": "responsible_ai.policy.schema",
    "Policy": "responsible_ai.policy.schema",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'responsible_ai.policy' has no attribute {name!r}")


def policy_json_schema() -> dict[str, object]:
    """The JSON Schema of policy files (what ``rai policy schema`` prints)."""
    from responsible_ai.policy.schema import Policy

    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "responsible-ai policy"
    return schema
