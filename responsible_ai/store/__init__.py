"""The review store: runs, findings and a tamper-evident chain of reviews (SQLAlchemy)."""

from responsible_ai.store.store import ChainCheck, ReviewStore, default_store_url, rai_home

__all__ = ["ChainCheck", "ReviewStore", "default_store_url", "rai_home"]
