"""The review store: runs, findings, users and tokens, and a tamper-evident chain of reviews."""

from responsible_ai.store.identity import Identity, local_identity
from responsible_ai.store.people import authenticate_password, authenticate_token
from responsible_ai.store.store import ChainCheck, ReviewStore, default_store_url, rai_home

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
