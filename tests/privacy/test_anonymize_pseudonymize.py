"""Keyed pseudonymization: stable with one key, different across keys, refuses without a key."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responsible_ai.errors import InputError
from responsible_ai.privacy import Pseudonymizer, key_id, load_key
from responsible_ai.privacy.keys import KEY_CHANGED, KEY_TOO_SHORT, NO_KEY, canonical

ENV = "RAI_TEST_PSEUDONYMIZATION_KEY"
KEY_A = "a00a9a1b878b2d9e550ecff82f075591ada9bd2022b44c02f36e4062184adc22"
KEY_B = "ed47b11677417b1774d9c6c975a82d818a6f1cf74b18aaecb0d314dc1ad1c627"


def _pseudonymize(frame: pd.DataFrame, key: str, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    monkeypatch.setenv(ENV, key)
    return Pseudonymizer(columns=["email"], key_env=ENV).fit_transform(frame)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=15))
def test_stable_with_one_key_and_different_across_keys(values: list[str]) -> None:
    frame = pd.DataFrame({"email": values})
    with pytest.MonkeyPatch.context() as patch:
        first = _pseudonymize(frame, KEY_A, patch)["email"].tolist()
        again = _pseudonymize(frame, KEY_A, patch)["email"].tolist()
        other = _pseudonymize(frame, KEY_B, patch)["email"].tolist()
    assert first == again
    assert all(a != b for a, b in zip(first, other, strict=True))
    # Equal canonical values get equal pseudonyms (joins survive), others differ.
    for i, j in itertools.combinations(range(len(values)), 2):
        assert (first[i] == first[j]) == (canonical(values[i]) == canonical(values[j]))
    assert all(re.fullmatch(r"[0-9a-f]{32}", p) for p in first)


def test_no_key_refuses_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(InputError, match=re.escape(NO_KEY.format(env=ENV))):
        Pseudonymizer(key_env=ENV).fit(pd.DataFrame({"email": ["a@b.org"]}))


def test_short_key_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "too-short")
    message = KEY_TOO_SHORT.format(source=f"the pseudonymization key in ${ENV}", length=9)
    with pytest.raises(InputError, match=re.escape(message)):
        load_key(ENV)


def test_key_file_and_key_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    path = tmp_path / "key"
    path.write_text(KEY_A + "\n")
    path.chmod(0o600)
    assert load_key(ENV, path) == KEY_A.encode()
    fitted = Pseudonymizer(key_env=ENV, key_file=str(path)).fit(pd.DataFrame({"x": ["v"]}))
    assert fitted.key_id_ == key_id(KEY_A.encode())
    assert KEY_A not in fitted.key_id_ and KEY_A not in repr(fitted)
    assert KEY_A not in str(vars(fitted))


def test_key_change_between_fit_and_transform(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"x": ["v"]})
    monkeypatch.setenv(ENV, KEY_A)
    fitted = Pseudonymizer(key_env=ENV).fit(frame)
    monkeypatch.setenv(ENV, KEY_B)
    message = KEY_CHANGED.format(was=key_id(KEY_A.encode()), now=key_id(KEY_B.encode()))
    with pytest.raises(InputError, match=re.escape(message)):
        fitted.transform(frame)


def test_missing_values_stay_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"email": ["a@b.org", None]})
    out = _pseudonymize(frame, KEY_A, monkeypatch)
    assert out["email"].isna().tolist() == [False, True]
