"""Privacy: identifier detection, pseudonymization, anonymization, risk, differential privacy.

Names load lazily: the metric catalogue and the CLI import this package, and must stay light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsible_ai.privacy.detect import detect_identifiers
    from responsible_ai.privacy.generalize import Generalizer
    from responsible_ai.privacy.keys import key_id, load_key
    from responsible_ai.privacy.mondrian import MondrianAnonymizer
    from responsible_ai.privacy.pipeline import Anonymization, anonymize, build_transformers
    from responsible_ai.privacy.pseudonymize import Pseudonymizer
    from responsible_ai.privacy.risk import (
        anonymity_summary,
        equivalence_classes,
        information_loss,
        l_diversity,
        t_closeness,
    )
    from responsible_ai.privacy.transforms import ColumnDropper, Masker, RecordSuppressor

__all__ = [
    "Anonymization",
    "ColumnDropper",
    "Generalizer",
    "Masker",
    "MondrianAnonymizer",
    "Pseudonymizer",
    "RecordSuppressor",
    "anonymity_summary",
    "anonymize",
    "build_transformers",
    "detect_identifiers",
    "equivalence_classes",
    "information_loss",
    "key_id",
    "l_diversity",
    "load_key",
    "t_closeness",
]

_LAZY = {
    "detect_identifiers": "responsible_ai.privacy.detect",
    "key_id": "responsible_ai.privacy.keys",
    "load_key": "responsible_ai.privacy.keys",
    "MondrianAnonymizer": "responsible_ai.privacy.mondrian",
    "Anonymization": "responsible_ai.privacy.pipeline",
    "anonymize": "responsible_ai.privacy.pipeline",
    "build_transformers": "responsible_ai.privacy.pipeline",
    "Pseudonymizer": "responsible_ai.privacy.pseudonymize",
    "anonymity_summary": "responsible_ai.privacy.risk",
    "equivalence_classes": "responsible_ai.privacy.risk",
    "information_loss": "responsible_ai.privacy.risk",
    "l_diversity": "responsible_ai.privacy.risk",
    "t_closeness": "responsible_ai.privacy.risk",
    "ColumnDropper": "responsible_ai.privacy.transforms",
    "Generalizer": "responsible_ai.privacy.generalize",
    "Masker": "responsible_ai.privacy.transforms",
    "RecordSuppressor": "responsible_ai.privacy.transforms",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'responsible_ai.privacy' has no attribute {name!r}")
