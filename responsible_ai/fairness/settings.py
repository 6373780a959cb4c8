"""The policy's ``fairness:`` section: defaults for every fairness check."""

from __future__ import annotations

from pydantic import Field

from responsible_ai.policy._base import Strict

__all__ = ["FairnessSettings"]


class FairnessSettings(Strict):
    """Defaults for every fairness check; a check's ``params`` override them."""

    min_group_size: int = Field(
        1, ge=1, description="Groups with fewer rows are listed but left out of disparities."
    )
