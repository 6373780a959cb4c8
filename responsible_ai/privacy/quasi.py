"""Which columns single a person out: direct identifiers, and quasi-identifiers in combination.

The quasi-identifiers a k-anonymity or risk figure is computed on decide what it means, so they
are never a guess by position: the policy's ``privacy.quasi_identifiers`` when it names some,
else the columns found here that an attacker can know from outside the data (the classic trio:
date of birth, ZIP code and sex, with age). Each is found by its name *and* its values, so that a
column called ``age`` holding free text, or ``zip`` holding yes/no, is not taken.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pandas as pd

from responsible_ai.privacy.detect import detect_identifiers

if TYPE_CHECKING:
    from responsible_ai.privacy.settings import PrivacySettings

__all__ = [
    "DIRECT_KINDS",
    "FROM_DATA",
    "FROM_POLICY",
    "direct_identifiers",
    "find_quasi_identifiers",
    "quasi_identifiers",
]

# Kinds of detect_identifiers that name a person on their own; a date of birth does so only in
# combination, so it is a quasi-identifier.
DIRECT_KINDS = frozenset(
    {
        "email",
        "iban",
        "payment_card",
        "national_id",
        "ip_address",
        "phone",
        "street_address",
        "person_name",
        "record_id",
    }
)
FROM_POLICY = "the policy's privacy.quasi_identifiers"
FROM_DATA = "found in the data (dates of birth, ZIP codes, age, sex)"

_POSTCODE_NAME = re.compile(
    r"^(zip|zipcode|zip_code|postcode|post_code|postal_code|postal|plz|postleitzahl)$"
    r"|(^|_)(zip|postcode|plz)(_|$)"
)
_POSTCODE_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 *-]{1,9}$")
_BIRTH_NAME = re.compile(r"birth|(^|_)dob(_|$)|(^|_)born(_|$)")
_MAX_AGE = 130
_MAX_SEX_VALUES = 6
_MAX_BANDS = 30


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", str(name).lower()) if t]


def _normalized(name: str) -> str:
    return "_".join(_tokens(name))


def _numbers(series: pd.Series) -> pd.Series | None:
    numbers = pd.to_numeric(series.dropna(), errors="coerce")
    return None if numbers.isna().any() or numbers.empty else numbers


def _is_age(name: str, series: pd.Series) -> bool:
    tokens = _tokens(name)
    if "age" not in tokens and not any(t in ("agegroup", "ageband") for t in tokens):
        return False
    numbers = _numbers(series)
    if numbers is not None:
        return bool(((numbers >= 0) & (numbers <= _MAX_AGE)).all())
    return series.dropna().nunique() <= _MAX_BANDS  # age bands such as "25 and over"


def _is_sex(name: str, series: pd.Series) -> bool:
    tokens = _tokens(name)
    if "sex" not in tokens and "gender" not in tokens:
        return False
    return 1 < series.dropna().nunique() <= _MAX_SEX_VALUES


def _is_postcode(name: str, series: pd.Series) -> bool:
    if not _POSTCODE_NAME.search(_normalized(name)):
        return False
    values = series.dropna().astype(str).str.strip()
    return bool(len(values)) and bool(values.str.fullmatch(_POSTCODE_VALUE).all())


def _is_birth(name: str, series: pd.Series, birth_dates: set[str]) -> bool:
    if name in birth_dates:
        return True
    if not _BIRTH_NAME.search(_normalized(name)):
        return False
    numbers = _numbers(series)  # a year of birth
    return numbers is not None and bool(((numbers >= 1850) & (numbers <= 2200)).all())


def find_quasi_identifiers(
    frame: pd.DataFrame, detections: pd.DataFrame | None = None
) -> list[dict[str, str]]:
    """Columns that identify a person in combination: dates of birth, ZIP codes, age, sex.

    Parameters
    ----------
    frame : DataFrame
    detections : DataFrame, optional
        The result of :func:`~responsible_ai.privacy.detect_identifiers` on ``frame`` (computed
        when not given); its dates of birth count here.

    Returns
    -------
    list of dict
        ``{"column", "kind", "reason"}`` per column, in the frame's column order.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"zip": ["02134", "10080"], "sex": ["f", "m"], "n": [1, 2]})
    >>> [row["column"] for row in find_quasi_identifiers(frame)]
    ['zip', 'sex']
    """
    if detections is None:
        detections = detect_identifiers(frame)
    birth = detections.loc[
        (detections["kind"] == "date_of_birth") & (detections["confidence"] >= 0.5), "column"
    ]
    birth_dates = {str(c) for c in birth}
    found = []
    for column in frame.columns:
        name, series = str(column), frame[column]
        if _is_birth(name, series, birth_dates):
            found.append({"column": name, "kind": "date of birth", "reason": "name and values"})
        elif _is_postcode(name, series):
            found.append({"column": name, "kind": "ZIP/postcode", "reason": "name and values"})
        elif _is_age(name, series):
            found.append({"column": name, "kind": "age", "reason": "name and values"})
        elif _is_sex(name, series):
            found.append({"column": name, "kind": "sex", "reason": "name and few values"})
    return found


def direct_identifiers(detections: pd.DataFrame, min_confidence: float = 0.5) -> pd.DataFrame:
    """The rows of ``detections`` that name a person on their own (not hints, not dates)."""
    keep = detections["kind"].isin(DIRECT_KINDS) & (detections["confidence"] >= min_confidence)
    return detections.loc[keep].reset_index(drop=True)


def quasi_identifiers(
    frame: pd.DataFrame,
    settings: PrivacySettings | None = None,
    detections: pd.DataFrame | None = None,
) -> tuple[list[str], str]:
    """The quasi-identifiers to measure ``frame`` on, and where they come from.

    The policy's ``privacy.quasi_identifiers`` (those in the frame) when it names any, else
    :func:`find_quasi_identifiers`. Never a column picked by its position.

    Returns
    -------
    (list of str, str)
        The columns, and :data:`FROM_POLICY` or :data:`FROM_DATA`.
    """
    named: list[Any] = list(settings.quasi_identifiers) if settings is not None else []
    columns = {str(c) for c in frame.columns}
    chosen = [str(c) for c in named if str(c) in columns]
    if chosen:
        return chosen, FROM_POLICY
    return [row["column"] for row in find_quasi_identifiers(frame, detections)], FROM_DATA
