"""The policy's ``fairness:`` section: defaults for every fairness check."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from responsible_ai.policy._base import Strict

__all__ = ["FairnessSettings"]


class FairnessSettings(Strict):
    """Defaults for every fairness check; a check's ``params`` override them."""

    min_group_size: int = Field(
        1,
        ge=1,
        description="Groups with fewer rows are listed in the evidence as excluded from "
        "disparities, never silently dropped.",
    )
    min_group_share: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Groups holding less than this share of the rows are excluded from "
        "disparities and listed (NYC Local Law 144 allows 0.02).",
    )
    reference_group: dict[str, str | int | float | bool] | None = Field(
        None,
        description="The group others are compared with when a check uses method "
        "'to_reference', by column, e.g. {sex: male, race: White}.",
    )
    n_boot: int = Field(
        1000,
        ge=0,
        le=100_000,
        description="Bootstrap replicates for confidence intervals (0: no intervals).",
    )
    confidence: float = Field(
        0.95, gt=0.0, lt=1.0, description="Confidence level of the bootstrap intervals."
    )
    correction: Literal["holm", "bh"] = Field(
        "holm",
        description="Multiple-comparison correction of the group significance tests: "
        "'holm' (family-wise error) or 'bh' (Benjamini-Hochberg false discovery rate).",
    )
