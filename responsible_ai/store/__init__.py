"""The review store: runs, findings, users and tokens, and a tamper-evident chain of reviews.

Names load on first use (PEP 562): every ``rai`` command imports ``responsible_ai.store.cli`` to
register its subcommands, and importing SQLAlchemy there would slow ``rai --help`` and
``rai check`` by a third of a second.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsible_ai.store.identity import Identity, local_identity
    from responsible_ai.store.location import default_store_url
    from responsible_ai.store.people import authenticate_password, authenticate_token
    from responsible_ai.store.store import ChainCheck, ReviewStore, rai_home

__all__ = [
    "ChainCheck",
    "Identity",
    "ReviewStore",
    "authenticate_password",
    "authenticate_token",
    "default_store_url",
    "local_identity",
    "rai_home",
]

_LAZY = {
    "ChainCheck": "responsible_ai.store.store",
    "Identity": "responsible_ai.store.identity",
    "ReviewStore": "responsible_ai.store.store",
    "authenticate_password": "responsible_ai.store.people",
    "authenticate_token": "responsible_ai.store.people",
    "default_store_url": "responsible_ai.store.location",
    "local_identity": "responsible_ai.store.identity",
    "rai_home": "responsible_ai.store.store",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'responsible_ai.store' has no attribute {name!r}")
