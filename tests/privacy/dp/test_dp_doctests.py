"""The examples in the DP docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "responsible_ai.privacy.dp.ledger",
    "responsible_ai.privacy.dp.statistics",
    "responsible_ai.privacy.dp.fairness",
    "responsible_ai.privacy.dp.transforms",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    import responsible_ai.policy  # noqa: F401  (the policy schema imports the DP settings)

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
