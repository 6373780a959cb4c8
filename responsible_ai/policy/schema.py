"""The policy schema: what a policy file may say, as pydantic models.

Unknown keys are errors everywhere (``extra="forbid"``): a typo must never silently disable a check.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from responsible_ai.explain.settings import ExplainSettings
from responsible_ai.fairness.settings import FairnessSettings
from responsible_ai.mitigate.settings import MitigationSettings
from responsible_ai.monitor.settings import MonitoringSettings
from responsible_ai.privacy.dp.settings import ReleaseSettings
from responsible_ai.privacy.settings import PrivacySettings, TransformSpec
from responsible_ai.robustness.settings import RobustnessSettings

__all__ = [
    "SEVERITIES",
    "Check",
    "Condition",
    "DataRoles",
    "FairnessSettings",
    "Policy",
    "Severity",
    "severity_rank",
]

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")


def severity_rank(severity: str) -> int:
    """Order severities: low < medium < high < critical."""
    return SEVERITIES.index(severity)


_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
_CONDITION = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


class Condition(BaseModel):
    """A threshold such as ``>= 0.8``: an operator and a number."""

    model_config = ConfigDict(frozen=True)

    operator: str
    threshold: float

    @classmethod
    def parse(cls, text: str) -> Condition:
        match = _CONDITION.match(text)
        if match is None:
            raise ValueError(
                f"expected an operator (>=, >, <=, <, ==, !=) and a number, such as '>= 0.8'; "
                f"got {text!r}"
            )
        return cls(operator=match.group(1), threshold=float(match.group(2)))

    def holds(self, value: float) -> bool:
        """Whether ``value`` satisfies the condition."""
        return bool(_OPERATORS[self.operator](value, self.threshold))

    def __str__(self) -> str:
        return f"{self.operator} {self.threshold:g}"


def _to_condition(value: Any) -> Any:
    if isinstance(value, Condition):
        return value
    if isinstance(value, str):
        return Condition.parse(value)
    raise ValueError(f'expected a quoted string such as ">= 0.8"; got {type(value).__name__}')


def _to_version(value: Any) -> Any:
    # YAML reads `version: 1.0` as a float; a version is text.
    if isinstance(value, bool):
        raise ValueError('expected a version string such as "1.0"')
    if isinstance(value, int | float):
        return str(value)
    return value


from responsible_ai.policy._base import Strict as _Strict  # noqa: E402


class DataRoles(_Strict):
    """Which column plays which part in the audit. Command-line options override these."""

    target: str | None = Field(None, description="Column with the true outcome.")
    prediction: str | None = Field(
        None, description="Column with the model's decision; not needed when a model is given."
    )
    score: str | None = Field(
        None, description="Column with the predicted probability of the positive label."
    )
    weight: str | None = Field(None, description="Column with sample weights.")
    positive_label: str | int | float | bool | None = Field(
        None, description="Value of target and prediction that means the favourable outcome."
    )
    sensitive: list[str] = Field(default_factory=list, description="Sensitive feature columns.")
    features: list[str] | None = Field(
        None, description="Model input columns; default: what the model was fitted on."
    )
    train: str | None = Field(
        None,
        description="The model's training data (CSV or Parquet), for membership inference and "
        "the poisoning screen: a path relative to the policy file, inside its folder "
        "(elsewhere: --train FILE).",
    )
    missing_sensitive: Literal["group", "drop"] = Field(
        "group",
        description="Rows with a missing sensitive value: 'group' keeps them as their own group "
        "'(missing)'; 'drop' leaves them out and reports how many.",
    )

    @field_validator("sensitive", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Check(_Strict):
    """One requirement: a metric, how to group, and the condition it must meet."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=120)]
    metric: str = Field(description="Metric id; `rai metrics` lists them.")
    by: str | list[str] | None = Field(
        None,
        description="Sensitive feature(s) to group by; a list means intersectional groups. "
        "Omitted: the check runs once for each sensitive feature.",
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Metric parameters.")
    must: Annotated[
        Condition,
        BeforeValidator(_to_condition),
        WithJsonSchema({"type": "string", "pattern": _CONDITION.pattern}),
    ] = Field(description='Operator and threshold, such as ">= 0.8".')
    decide_on: Literal["value", "interval"] = Field(
        "value",
        description="'value': the measured value must meet `must`. 'interval': pass only when "
        "the whole confidence interval meets it, fail when the whole interval violates it, "
        "otherwise insufficient_evidence.",
    )
    severity: Severity = "high"
    reference: str | None = Field(None, description="Law, standard or guideline behind the check.")
    rationale: str | None = Field(None, description="Why the check exists, for the reviewer.")
    enabled: bool = Field(
        True,
        description="false skips the check (a policy that extends can "
        "switch an inherited check off; the report lists it as skipped).",
    )

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        from responsible_ai.checker.registry import unknown_metric_message

        message = unknown_metric_message(value)
        if message:
            raise ValueError(message)
        return value

    @field_validator("by")
    @classmethod
    def _non_empty_by(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and not value:
            raise ValueError("expected a column name or a non-empty list of column names")
        return value

    @property
    def by_columns(self) -> list[str] | None:
        """``by`` as a list, or None when omitted."""
        if self.by is None:
            return None
        return [self.by] if isinstance(self.by, str) else list(self.by)


class Policy(_Strict):
    """A policy: who it is for, which data roles it expects, and the checks it requires."""

    name: str = Field(min_length=1)
    version: Annotated[str, BeforeValidator(_to_version)] = "1"
    description: str | None = None
    extends: str | None = Field(
        None,
        description="Policy file to inherit from: relative to this file and inside its folder, "
        "or a shipped pack by file name (other folders need --allow-extends-path).",
    )
    data: DataRoles = Field(default_factory=DataRoles)
    fail_on: Severity = Field(
        "high", description="Lowest severity whose failure fails the verdict; below it, warn."
    )
    seed: int = Field(0, description="Seed for every random step (bootstrap, sampling).")
    fairness: FairnessSettings = Field(default_factory=FairnessSettings)
    explain: ExplainSettings = Field(default_factory=ExplainSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    transforms: list[TransformSpec] = Field(
        default_factory=list, description="Data transforms applied in order (`rai anonymize`)."
    )
    release: ReleaseSettings = Field(default_factory=ReleaseSettings)
    monitoring: MonitoringSettings | None = Field(
        None, description="Production monitoring (`rai monitor`): windows, drift, alerts."
    )
    robustness: RobustnessSettings = Field(default_factory=RobustnessSettings)
    mitigation: MitigationSettings = Field(
        default_factory=MitigationSettings,
        description="How `rai mitigate` tries methods and chooses a candidate.",
    )
    checks: list[Check] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_check_ids(self) -> Policy:
        seen: set[str] = set()
        for check in self.checks:
            if check.id in seen:
                raise ValueError(f"check id {check.id!r} is used twice; ids must be unique")
            seen.add(check.id)
        return self
