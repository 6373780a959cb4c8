"""Find direct identifiers and personal data in tabular columns, by column name and sampled values.

Each column is judged on a random sample of its non-missing values: every value is tested against
the recognizers below (most specific first: a payment card is tested before a phone number), and the
kind that most values match wins. The column name adds or, alone, gives weaker evidence. Nothing is
downloaded: every recognizer is a pattern plus, where one exists, a checksum (Luhn for payment
cards, mod-97 for IBANs).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError

__all__ = [
    "DETECTION_COLUMNS",
    "KINDS",
    "NOT_A_FRAME",
    "detect_identifiers",
    "iban_valid",
    "luhn_valid",
]

NOT_A_FRAME = "detect_identifiers needs a pandas DataFrame; got {type}"
DETECTION_COLUMNS = ["column", "kind", "confidence", "matched", "sampled", "reason"]


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum of payment card numbers.

    Examples
    --------
    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    """Whether ``text`` is an IBAN with a valid ISO 13616 mod-97 check.

    Examples
    --------
    >>> iban_valid("GB82 WEST 1234 5698 7654 32"), iban_valid("GB82 WEST 1234 5698 7654 33")
    (True, False)
    """
    compact = text.replace(" ", "").upper()
    if not _IBAN.match(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_CARD = re.compile(r"^\d(?:[ -]?\d){12,18}$")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
_NATIONAL_ID = re.compile(
    r"^(?:\d{3}-\d{2}-\d{4}"  # US social security number
    r"|[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]"  # UK national insurance number
    r"|\d{2}[01]\d[0-3]\d{6}"  # Nordic personal identity number (YYMMDDNNNN)
    r"|[12]\d{2}[01]\d\d{2}\d{3}\d{3}\d{2})$"  # French INSEE number
)
_STREET = re.compile(
    r"^\d+[A-Za-z]?,?\s+(?:[A-Za-z.'-]+\s+){0,4}(?:street|st|avenue|ave|road|rd|drive|dr|lane|ln"
    r"|boulevard|blvd|way|court|ct|place|pl|terrace|close|square|sq|parkway|pkwy|circle|cir"
    r"|highway|hwy|crescent|row|walk|alley)\.?(?:[ ,].*)?$",
    re.IGNORECASE,
)
_PERSON_NAME = re.compile(r"^[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’.-]*){1,3}$")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$|^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_HEX_TOKEN = re.compile(r"^[0-9a-f]{16,64}$")
# A generalized range such as "1950-1959" (two numbers of the same length, in order) is no phone.
_RANGE = re.compile(r"^(\d{1,6})\s?-\s?(\d{1,6})$")
# Kinds whose patterns are specific enough that one full match is evidence of a leak.
_STRONG = frozenset({"email", "iban", "payment_card", "national_id", "ip_address"})


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _is_card(text: str) -> bool:
    return bool(_CARD.match(text)) and luhn_valid(_digits(text))


def _is_phone(text: str) -> bool:
    if not _PHONE.match(text):
        return False
    bounds = _RANGE.match(text)
    if bounds and len(bounds[1]) == len(bounds[2]) and int(bounds[1]) <= int(bounds[2]):
        return False
    count = len(_digits(text))
    separated = text.startswith("+") or bool(re.search(r"[\s().-]", text))
    return 7 <= count <= 15 and (separated or count >= 10)


def _is_ip(text: str) -> bool:
    if not re.match(r"^[0-9A-Fa-f:.]+$", text) or ("." not in text and ":" not in text):
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_birth_date(text: str) -> bool:
    match = _DATE.match(text)
    if not match:
        return False
    if match.group(1):
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    else:
        year, month, day = int(match.group(6)), int(match.group(5)), int(match.group(4))
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return 1900 <= born.year <= date.today().year


@dataclass(frozen=True)
class _Kind:
    name: str
    matches: Callable[[str], bool]
    column_name: re.Pattern[str]
    # Values alone are weaker evidence for some kinds (many things look like "Two Words").
    value_weight: float = 1.0


KINDS: tuple[_Kind, ...] = (
    _Kind("email", lambda v: bool(_EMAIL.match(v)), re.compile(r"e[-_]?mail")),
    _Kind("iban", iban_valid, re.compile(r"iban|bank[-_]?account")),
    _Kind("payment_card", _is_card, re.compile(r"card|\bpan\b|credit[-_]?card|cc[-_]?num")),
    _Kind(
        "national_id",
        lambda v: bool(_NATIONAL_ID.match(v)),
        re.compile(r"national[-_]?id|\bssn\b|social[-_]?security|passport|\bnino\b|tax[-_]?id"),
    ),
    _Kind("ip_address", _is_ip, re.compile(r"(^|_)ip($|_)|ip[-_]?addr")),
    _Kind(
        "date_of_birth",
        _is_birth_date,
        re.compile(r"birth|\bdob\b|born"),
        value_weight=0.45,
    ),
    _Kind("phone", _is_phone, re.compile(r"phone|mobile|\btel\b|telephone|fax")),
    _Kind(
        "street_address",
        lambda v: bool(_STREET.match(v)),
        re.compile(r"address|street|\baddr\b"),
        value_weight=0.9,
    ),
    _Kind(
        "person_name",
        lambda v: bool(_PERSON_NAME.match(v)),
        re.compile(r"(^|_)(full_?)?name$|first_?name|last_?name|surname|given_?name|forename"),
        value_weight=0.6,
    ),
)
_RECORD_ID_NAME = re.compile(
    r"(^|_)(id|uuid|guid|account|customer|patient|user|member|employee)(_?(id|no|number))?$"
)
_MIN_SHARE = 0.5
# A yes/no column (German credit's `telephone`: does the applicant have one?) holds no identifier,
# whatever its name says.
_FLAG_WORDS = frozenset({"yes", "no", "none", "true", "false", "y", "n", "t", "f", "0", "1"})


def _normalize(name: str) -> str:
    return re.sub(r"[\s-]+", "_", str(name).strip().lower())


def _sample(series: pd.Series, sample_size: int, random_state: int) -> list[str]:
    values = series.dropna()
    if len(values) > sample_size:
        values = values.sample(n=sample_size, random_state=random_state)
    return [str(v).strip() for v in values.tolist() if str(v).strip()]


def _judge_column(name: str, series: pd.Series, sample_size: int, random_state: int) -> dict | None:
    norm = _normalize(name)
    values = _sample(series, sample_size, random_state)
    sampled = len(values)
    if sampled and {value.lower() for value in values} <= _FLAG_WORDS:
        return None
    counts: dict[str, int] = {}
    for value in values:
        for kind in KINDS:
            if kind.matches(value):
                counts[kind.name] = counts.get(kind.name, 0) + 1
                break
    best, matched = max(counts.items(), key=lambda item: item[1], default=(None, 0))
    share = matched / sampled if sampled else 0.0
    by_name = next((kind for kind in KINDS if kind.column_name.search(norm)), None)
    hex_tokens = sampled > 0 and all(_HEX_TOKEN.match(v) for v in values)
    if hex_tokens and len({len(v) for v in values}) == 1:
        hinted = by_name.name if by_name else "pseudonym"
        return _row(
            name,
            hinted,
            0.1,
            0,
            sampled,
            "values look like pseudonyms or hashes "
            "(hex tokens of one length), not original identifiers",
        )
    if best is not None and share >= _MIN_SHARE:
        kind = next(k for k in KINDS if k.name == best)
        named = by_name is not None and by_name.name == best
        confidence = min(1.0, share + 0.2) if named else share * kind.value_weight
        how = "column name and values" if named else "values"
        return _row(
            name,
            best,
            confidence,
            matched,
            sampled,
            f"{how}: {matched} of {sampled} sampled values look like {best.replace('_', ' ')}",
        )
    if best in _STRONG:
        return _row(
            name,
            best,
            0.5 + 0.5 * share,
            matched,
            sampled,
            f"values: {matched} of {sampled} sampled values are a whole "
            f"{best.replace('_', ' ')} (some left in clear?)",
        )
    if by_name is not None:
        return _row(
            name,
            by_name.name,
            0.3,
            matched,
            sampled,
            f"column name suggests {by_name.name.replace('_', ' ')} but only {matched} of "
            f"{sampled} sampled values look like one (already transformed?)",
        )
    if _RECORD_ID_NAME.search(norm) and sampled:
        distinct = series.dropna().nunique() / max(1, int(series.notna().sum()))
        if distinct >= 0.9:
            return _row(
                name,
                "record_id",
                0.8,
                sampled,
                sampled,
                f"column name and values: an identifier whose values are {distinct:.0%} distinct",
            )
    return None


def _row(
    column: str, kind: str, confidence: float, matched: int, sampled: int, reason: str
) -> dict:
    return {
        "column": column,
        "kind": kind,
        "confidence": round(float(confidence), 3),
        "matched": int(matched),
        "sampled": int(sampled),
        "reason": reason,
    }


def detect_identifiers(
    frame: pd.DataFrame, sample_size: int = 1000, random_state: int = 0
) -> pd.DataFrame:
    """Flag columns that hold direct identifiers or personal data.

    Parameters
    ----------
    frame : DataFrame
        The data to scan.
    sample_size : int, default 1000
        Non-missing values sampled per column.
    random_state : int, default 0
        Seed of the sampling, so that the result is reproducible.

    Returns
    -------
    DataFrame
        One row per flagged column, most confident first, with columns ``column``, ``kind``
        (email, iban, payment_card, national_id, ip_address, phone, date_of_birth,
        street_address, person_name, record_id, pseudonym), ``confidence`` in [0, 1],
        ``matched`` and ``sampled`` (values that matched the kind out of those sampled) and
        ``reason``. A confidence below 0.5 is a hint (a suggestive column name whose values do
        not match, or values that look like pseudonyms).

    Raises
    ------
    InputError
        If ``frame`` is not a DataFrame or ``sample_size`` is not a positive integer.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"contact": ["ann@example.org", "bob@example.com"], "n": [1, 2]})
    >>> detect_identifiers(frame)[["column", "kind", "matched", "sampled"]]
        column   kind  matched  sampled
    0  contact  email        2        2
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(NOT_A_FRAME.format(type=type(frame).__name__))
    if isinstance(sample_size, bool) or not isinstance(sample_size, int | np.integer):
        raise InputError(f"sample_size must be a positive integer; got {sample_size!r}")
    if sample_size < 1:
        raise InputError(f"sample_size must be a positive integer; got {sample_size!r}")
    rows = []
    for name in frame.columns:
        row = _judge_column(str(name), frame[name], int(sample_size), random_state)
        if row is not None:
            rows.append(row)
    result = pd.DataFrame(rows, columns=DETECTION_COLUMNS)
    result = result.sort_values(["confidence", "column"], ascending=[False, True], kind="stable")
    return result.reset_index(drop=True)
