"""The examples in the privacy docstrings run and show what they claim."""

from __future__ import annotations

import doctest
import importlib
import secrets

import pytest

MODULES = [
    "responsible_ai.privacy.detect",
    "responsible_ai.privacy.generalize",
    "responsible_ai.privacy.keys",
    "responsible_ai.privacy.mondrian",
    "responsible_ai.privacy.pseudonymize",
    "responsible_ai.privacy.quasi",
    "responsible_ai.privacy.risk",
    "responsible_ai.privacy.transforms",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCTEST_KEY", secrets.token_hex(32))
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
