"""Policy as code: the schema, loading with ``extends``, and JSON Schema export."""

from responsible_ai.policy.loader import (
    LoadedPolicy,
    load_policy,
    policy_from_dict,
    validate_policy_files,
)
from responsible_ai.policy.schema import Check, Condition, DataRoles, Policy


def policy_json_schema() -> dict[str, object]:
    """The JSON Schema of policy files (what ``rai policy schema`` prints)."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "responsible-ai policy"
    return schema


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
