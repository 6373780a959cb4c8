"""Shared monitor fixtures: the shipped sample's run, computed once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "sample_data" / "monitoring" / "german_credit_logs"
REFERENCE = ROOT / "sample_data" / "monitoring" / "german_credit_reference.parquet"
POLICY = ROOT / "policies" / "monitoring.yaml"


@pytest.fixture(scope="session")
def shipped_run():
    from responsible_ai.monitor.run import monitor

    return monitor(LOGS, POLICY)
