"""The policy's ``explain:`` section: settings shared by every explanation check."""

from __future__ import annotations

from responsible_ai.policy._base import Strict

__all__ = ["ExplainSettings"]


class ExplainSettings(Strict):
    """Settings of the explanation family (sample size, proxy threshold, ...)."""
