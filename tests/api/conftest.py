from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_helpers import Team, failing_report_json, make_team


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, with the cheapest parameters."""
    from argon2 import PasswordHasher

    from responsible_ai.store import identity

    monkeypatch.setattr(
        identity, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture(scope="session")
def failing_report() -> dict[str, Any]:
    return failing_report_json()


@pytest.fixture
def team(tmp_path, monkeypatch) -> Team:
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    for name in (
        "RAI_STORE_URL",
        "RAI_STORE_KEY",
        "RAI_STORE_KEY_FILE",
        "RAI_TOKEN",
        "RAI_APP_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return make_team(tmp_path)


@pytest.fixture
def client(team) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from responsible_ai.api.app import create_app

    with TestClient(create_app(team.url)) as test_client:
        yield test_client
