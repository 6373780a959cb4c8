"""Where the review store is, without opening it (no SQLAlchemy: ``rai app`` asks before its
server starts, and the import would hold the server's start back half a second)."""

from __future__ import annotations

import os

from responsible_ai.resources import rai_home

__all__ = ["STORE_URL_ENV", "default_store_url"]

STORE_URL_ENV = "RAI_STORE_URL"


def default_store_url() -> str:
    """``$RAI_STORE_URL``, or the SQLite file ``store.sqlite`` under :func:`rai_home`."""
    return os.environ.get(STORE_URL_ENV) or f"sqlite:///{rai_home() / 'store.sqlite'}"
