"""The policy's ``privacy:`` section and ``transforms:`` list."""

from __future__ import annotations

from responsible_ai.policy._base import Strict

__all__ = ["PrivacySettings", "TransformSpec"]


class PrivacySettings(Strict):
    """Settings of the privacy family (quasi-identifiers, sensitive attributes, budget, ...)."""


class TransformSpec(Strict):
    """One data transform of the policy's ``transforms:`` list."""
