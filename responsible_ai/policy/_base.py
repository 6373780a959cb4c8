"""The base of every policy model: unknown keys are errors, values are immutable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Strict"]


class Strict(BaseModel):
    """A policy section: ``extra="forbid"`` so a typo never silently disables anything."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
