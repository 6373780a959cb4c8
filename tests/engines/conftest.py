from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import fairness_only_policy


@pytest.fixture
def policy_file(tmp_path: Path) -> str:
    """The lending policy with its explanation checks switched off: fairness counts only."""
    return fairness_only_policy(tmp_path)
