"""The policy's ``release:`` section: which DP statistics ``rai release`` publishes."""

from __future__ import annotations

from responsible_ai.policy._base import Strict

__all__ = ["ReleaseSettings"]


class ReleaseSettings(Strict):
    """What a DP release contains (statistics, bounds, epsilon per statistic)."""
