"""The policy's ``release:`` section: which DP statistics ``rai release`` publishes.

Bounds always come from the policy (or the caller), never from the data: bounds read off the data
would themselves leak the extreme values of individuals.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from responsible_ai.policy._base import Strict

__all__ = ["SNAPPING_BY_GROUP", "FairnessRelease", "ReleaseSettings", "StatisticSpec"]

# Snapping scales its sensitivity and clamp by each group's exact size: under add/remove-one
# neighbours that size is private, so a per-group snapped release would leak it.
SNAPPING_BY_GROUP = (
    "mechanism 'snapping' uses each group's exact size, which is private under add/remove-one "
    "neighbours; drop 'by' or use the default mechanism (laplace) for a per-group sum or mean"
)

Statistic = Literal["count", "sum", "mean", "variance", "quantile", "histogram"]
_NEEDS_BOUNDS = ("sum", "mean", "variance", "quantile")


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class StatisticSpec(Strict):
    """One DP statistic of a release, overall or per group."""

    name: str | None = Field(
        None, description="Name of the statistic in the release; default 'statistic(column)'."
    )
    statistic: Statistic = Field(description="count, sum, mean, variance, quantile or histogram.")
    column: str | None = Field(None, description="Column the statistic is about (not for count).")
    epsilon: float = Field(gt=0, description="Privacy loss spent on this statistic.")
    bounds: tuple[float, float] | None = Field(
        None,
        description="[lower, upper] of the column, known without looking at the data; values "
        "outside are clipped. Required for sum, mean, variance, quantile, numeric histogram.",
    )
    by: list[str] | None = Field(
        None,
        description="Group by these columns: one value per group. Groups are disjoint, so the "
        "statistic costs epsilon once (parallel composition).",
    )
    q: float | None = Field(None, ge=0, le=1, description="Quantile in [0, 1] (quantile only).")
    bins: int | None = Field(
        None, ge=1, description="Equal-width bins across bounds (numeric histogram)."
    )
    categories: list[str] | None = Field(
        None, description="Categories to count (categorical histogram); others are not counted."
    )
    mechanism: Literal["laplace", "snapping"] = Field(
        "laplace",
        description="sum and mean only: 'snapping' (Mironov 2012) is safe against floating-point "
        "attacks on the Laplace mechanism.",
    )

    @field_validator("by", mode="before")
    @classmethod
    def _by(cls, value: Any) -> Any:
        return _one_or_many(value)

    @model_validator(mode="after")
    def _complete(self) -> StatisticSpec:
        kind = self.statistic
        if kind != "count" and self.column is None:
            raise ValueError(f"a {kind} needs a column")
        if self.bounds is not None and not self.bounds[0] < self.bounds[1]:
            raise ValueError(f"bounds must be [lower, upper] with lower < upper; got {self.bounds}")
        if kind in _NEEDS_BOUNDS and self.bounds is None:
            raise ValueError(
                f"a {kind} needs bounds: [lower, upper] known without looking at the data"
            )
        if kind == "quantile" and self.q is None:
            raise ValueError("a quantile needs q, such as q: 0.5 for the median")
        if kind == "histogram":
            numeric = self.bins is not None
            if numeric == (self.categories is not None):
                raise ValueError("a histogram needs either bins (with bounds) or categories")
            if numeric and self.bounds is None:
                raise ValueError("a numeric histogram needs bounds")
        if self.mechanism == "snapping" and kind not in ("sum", "mean"):
            raise ValueError("mechanism 'snapping' is offered for sum and mean only")
        if self.mechanism == "snapping" and self.by:
            raise ValueError(SNAPPING_BY_GROUP)
        return self

    @property
    def label(self) -> str:
        """The statistic's name in the release."""
        if self.name:
            return self.name
        inner = self.column or ""
        if self.statistic == "quantile":
            inner += f", q={self.q:g}"
        return f"{self.statistic}({inner})"


class FairnessRelease(Strict):
    """A DP fairness table: per-group selection rate, TPR and FPR with noisy counts."""

    epsilon: float = Field(gt=0, description="Privacy loss spent on the whole fairness table.")
    by: list[str] | None = Field(
        None, description="Sensitive feature(s); default the policy's data.sensitive, each alone."
    )
    confidence: float = Field(
        0.95, gt=0, lt=1, description="Level of the error bars (noise and sampling)."
    )

    @field_validator("by", mode="before")
    @classmethod
    def _by(cls, value: Any) -> Any:
        return _one_or_many(value)


class ReleaseSettings(Strict):
    """What a DP release contains (statistics, bounds, epsilon per statistic)."""

    dataset: str | None = Field(
        None,
        description="The dataset the release spends on: registered with its cap in the "
        "privacy budget ledger by a data steward (rai budget set NAME --cap EPS). Required "
        "unless rai release --dataset names it.",
    )
    statistics: list[StatisticSpec] = Field(
        default_factory=list, description="DP statistics to release."
    )
    fairness: FairnessRelease | None = Field(
        None, description="A DP fairness table to release (needs predictions)."
    )

    @model_validator(mode="after")
    def _unique_names(self) -> ReleaseSettings:
        seen: set[str] = set()
        for spec in self.statistics:
            if spec.label in seen:
                raise ValueError(f"statistic {spec.label!r} appears twice; give each a name")
            seen.add(spec.label)
        return self
