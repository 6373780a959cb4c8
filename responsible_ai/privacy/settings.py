"""The policy's ``privacy:`` section and ``transforms:`` list."""

from __future__ import annotations

from pydantic import Field

from responsible_ai.policy._base import Strict

__all__ = ["PrivacySettings", "TransformSpec"]


class PrivacySettings(Strict):
    """Settings of the privacy family (quasi-identifiers, sensitive attributes, budget, ...)."""

    epsilon_budget: float | None = Field(
        None,
        gt=0,
        description="Cap on the total epsilon spent on one dataset, over every DP release "
        "recorded in the budget ledger. Unset: DP releases are refused.",
    )
    ledger: str | None = Field(
        None,
        description="Budget ledger: a SQLite file path or an SQLAlchemy URL. Default: env "
        "RAI_LEDGER_URL, else $RAI_HOME/ledger.sqlite (RAI_HOME default ~/.responsible-ai).",
    )


class TransformSpec(Strict):
    """One data transform of the policy's ``transforms:`` list."""
