"""SHA-256 fingerprints of the inputs, so a report says exactly what it audited."""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["sha256_file", "sha256_frame", "sha256_object"]


def sha256_file(path: str | os.PathLike[str], stop: threading.Event | None = None) -> str:
    """The file's SHA-256; ``stop``, once set, ends the reading early (a meaningless result)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            if stop is not None and stop.is_set():
                break
            digest.update(block)
    return digest.hexdigest()


def sha256_frame(frame: pd.DataFrame) -> str:
    """A fingerprint of a DataFrame's columns, dtypes and values (index excluded)."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def sha256_object(obj: Any) -> str | None:
    """Best-effort fingerprint of an in-memory object (a fitted model); None if not picklable."""
    try:
        return hashlib.sha256(pickle.dumps(obj, protocol=4)).hexdigest()
    except Exception:
        return None
