"""The transformers follow scikit-learn's estimator contract, with documented exceptions.

The exceptions all follow from what the transformers are for: they take tables of text and
numbers with missing values (a missing value is data to release, not an error), and they return
DataFrames of text labels (``"30-39"``, ``"100**"``, pseudonyms), which the generic checks try to
compare numerically or by ``dtype``.
"""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from responsible_ai.privacy import (
    ColumnDropper,
    Generalizer,
    Masker,
    MondrianAnonymizer,
    Pseudonymizer,
    RecordSuppressor,
)

KEY_ENV = "RAI_ESTIMATOR_CHECKS_KEY"

ACCEPTS_TEXT_AND_MISSING = {
    "check_dtype_object": "text columns are the usual input, not an error",
    "check_estimators_nan_inf": "missing values are released as missing, not refused",
}
RETURNS_TEXT = {
    name: "returns text labels, which the check compares numerically"
    for name in (
        "check_pipeline_consistency",
        "check_estimators_pickle",
        "check_transformer_data_not_an_array",
        "check_transformer_general",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_fit_idempotent",
    )
}
RETURNS_FRAME = {"check_transformer_preserve_dtypes": "returns a DataFrame (pandas output)"}


def _expected_failed_checks(estimator: object) -> dict[str, str]:
    failures = {**ACCEPTS_TEXT_AND_MISSING, **RETURNS_FRAME}
    if not isinstance(estimator, ColumnDropper | RecordSuppressor):
        failures.update(RETURNS_TEXT)
    return failures


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "750d924975664240d79dd62e7ab22f3762b5afa4aefc53d382a0228e3078e68b")


@parametrize_with_checks(
    [
        MondrianAnonymizer(k=1),
        Masker(),
        ColumnDropper(),
        Generalizer(bin_width=1.0),
        RecordSuppressor(k=1),
        Pseudonymizer(key_env=KEY_ENV),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_contract(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)
