"""Property: after a policy's drop / mask / pseudonymize, no original identifier value is left."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responsible_ai.policy.loader import policy_from_dict
from responsible_ai.privacy import anonymize

KEY = "50053710ba1cfdf4382ee56fde2af1a5da055d5b78fd269e047bfbac55fd2f34"
ALNUM = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
EMAILS = st.builds(lambda a, b: f"{a}@{b}.org", ALNUM, ALNUM)
PHONES = st.from_regex(r"\+1 [0-9]{3}-555-[0-9]{4}", fullmatch=True)
NAMES = st.builds(lambda a, b: f"{a.title()} {b.title()}", ALNUM, ALNUM)

POLICY = policy_from_dict(
    {
        "name": "no-leak",
        "privacy": {"key_env": "RAI_NO_LEAK_KEY"},
        "transforms": [
            {"kind": "pseudonymize", "columns": ["email", "customer"]},
            {"kind": "mask", "columns": ["phone"], "keep_last": 4},
            {"kind": "drop", "columns": ["name"]},
        ],
    }
)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAI_NO_LEAK_KEY", KEY)


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(
        st.tuples(EMAILS, PHONES, NAMES, ALNUM, st.integers(0, 9)), min_size=1, max_size=25
    ),
)
def test_no_original_identifier_survives(rows: list[tuple[str, str, str, str, int]]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAI_NO_LEAK_KEY", KEY)
        frame = pd.DataFrame(rows, columns=["email", "phone", "name", "customer", "n"])
        released = anonymize(frame, POLICY, key_env="RAI_NO_LEAK_KEY").frame
    assert list(released.columns) == ["email", "phone", "customer", "n"]
    cells = [str(v) for v in released.drop(columns="n").to_numpy().ravel()]
    # E-mails, phones and names hold characters a hex pseudonym never has: not even a substring.
    for column in ("email", "phone", "name"):
        for value in frame[column]:
            assert not any(value in cell for cell in cells)
    # Short ids could occur inside a random hex string by chance: no cell may equal one.
    assert not set(frame["customer"]) & set(cells)
    assert len(released) == len(frame)
    pd.testing.assert_series_equal(released["n"], frame["n"])
