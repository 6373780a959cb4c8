"""The policy's ``privacy:`` section and ``transforms:`` list.

The pseudonymization key never appears here: a policy names only the environment variable (or the
key file) that holds it, so a policy can be committed and shared without leaking the key. Which
variables and files a policy may name is checked where the key is read, in
:mod:`responsible_ai.privacy.keys`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from responsible_ai.policy._base import Strict
from responsible_ai.privacy.keys import DEFAULT_KEY_ENV

__all__ = [
    "DropSpec",
    "GeneralizeSpec",
    "KAnonymizeSpec",
    "MaskSpec",
    "PrivacySettings",
    "PseudonymizeSpec",
    "SuppressSpec",
    "TransformSpec",
]


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class PrivacySettings(Strict):
    """Settings of the privacy family: which columns identify people, and the targets to meet."""

    quasi_identifiers: list[str] = Field(
        default_factory=list,
        description="Columns that identify a person in combination (birth date, ZIP code, sex). "
        "k-anonymity, risk and Mondrian work on these.",
    )
    sensitive_attributes: list[str] = Field(
        default_factory=list,
        description="Columns whose values must not be inferable from an equivalence class "
        "(l-diversity, t-closeness).",
    )
    k: int | None = Field(None, ge=1, description="Smallest equivalence class size to reach.")
    l: int | None = Field(  # noqa: E741 - l is the name of the parameter in the literature
        None, ge=1, description="Distinct sensitive values each equivalence class must hold."
    )
    l_diversity: Literal["distinct", "entropy"] = Field(
        "distinct",
        description="How l-diversity is measured: 'distinct' values, or 'entropy' "
        "(exp of the entropy of the sensitive values in a class).",
    )
    t: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Largest earth mover's distance between a class's sensitive distribution and "
        "the whole table's.",
    )
    max_suppression: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of records that transforms may remove (record suppression budget).",
    )
    risk_threshold: float = Field(
        0.2,
        gt=0,
        le=1,
        description="Prosecutor risk above which a record counts as at risk (0.2 = class of 4).",
    )
    key_env: str = Field(
        DEFAULT_KEY_ENV,
        min_length=1,
        description="Environment variable holding the pseudonymization key (random, >= 32 bytes). "
        "A policy may name only RAI_PSEUDONYMIZATION_KEY or a variable the user gives with "
        "`rai anonymize --key-env`. The key itself never goes into a policy.",
    )
    key_file: str | None = Field(
        None,
        description="File holding the pseudonymization key (mode 600), used when the environment "
        "variable is unset. Relative to the policy's folder, and it must lie inside that folder's "
        "tree (or be the file given with `rai anonymize --key-file`, which replaces it).",
    )
    detection_sample_size: int = Field(
        1000, ge=1, description="Values sampled per column when detecting identifiers."
    )
    min_confidence: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Detections at or above this confidence count as direct identifier columns.",
    )

    # Differential privacy (responsible_ai.privacy.dp): the budget of DP releases.
    epsilon_budget: float | None = Field(
        None,
        gt=0,
        description="A total epsilon this policy's releases may spend on the dataset, at most "
        "the cap the data steward registered in the budget ledger (rai budget set); above the "
        "cap, releases are refused. Unset: the registered cap.",
    )
    ledger: str | None = Field(
        None,
        description="Budget ledger: a SQLite file path or an SQLAlchemy URL. Default: env "
        "RAI_LEDGER_URL, else $RAI_HOME/ledger.sqlite (RAI_HOME default ~/.responsible-ai).",
    )

    @field_validator("quasi_identifiers", "sensitive_attributes", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _one_or_many(value)


class _Columns(Strict):
    columns: list[str] = Field(min_length=1, description="Columns to transform.")

    @field_validator("columns", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _one_or_many(value)


class DropSpec(_Columns):
    """Remove columns."""

    kind: Literal["drop"]


class MaskSpec(_Columns):
    """Replace every character but the last ``keep_last`` with ``mask_char``."""

    kind: Literal["mask"]
    keep_last: int = Field(4, ge=0, description="Characters left visible at the end.")
    mask_char: str = Field("*", min_length=1, max_length=1, description="Masking character.")


class PseudonymizeSpec(_Columns):
    """Replace values with a keyed HMAC-SHA256 pseudonym (same value and key, same pseudonym)."""

    kind: Literal["pseudonymize"]
    length: int = Field(32, ge=16, le=64, description="Hex characters kept of the HMAC.")
    key_env: str | None = Field(
        None, description="Overrides privacy.key_env for this transform (same rule)."
    )
    key_file: str | None = Field(
        None, description="Overrides privacy.key_file for this transform (same rule)."
    )


class GeneralizeSpec(Strict):
    """Coarsen one column: numeric bins, dates to month or year, a prefix, or a hierarchy."""

    kind: Literal["generalize"]
    column: str = Field(description="Column to generalize.")
    bin_width: float | None = Field(None, gt=0, description="Numeric bins of this width.")
    bins: list[float] | None = Field(
        None, min_length=2, description="Numeric bin edges, increasing."
    )
    date: Literal["month", "year"] | None = Field(None, description="Truncate dates.")
    prefix: int | None = Field(
        None, ge=0, description="Keep this many leading characters (ZIP code to a prefix)."
    )
    hierarchy: dict[str, list[str]] | None = Field(
        None, description="Generalized value -> the original values it replaces."
    )

    @model_validator(mode="after")
    def _exactly_one_rule(self) -> GeneralizeSpec:
        rules = [
            name
            for name in ("bin_width", "bins", "date", "prefix", "hierarchy")
            if getattr(self, name) is not None
        ]
        if len(rules) != 1:
            raise ValueError(
                "give exactly one of bin_width, bins, date, prefix, hierarchy; "
                f"got {', '.join(rules) if rules else 'none'}"
            )
        if self.bins is not None and any(
            a >= b for a, b in zip(self.bins, self.bins[1:], strict=False)
        ):
            raise ValueError("bins must be strictly increasing")
        return self


class SuppressSpec(Strict):
    """Remove records of equivalence classes smaller than k, within the suppression budget."""

    kind: Literal["suppress"]
    quasi_identifiers: list[str] | None = Field(
        None, description="Default: privacy.quasi_identifiers."
    )
    k: int | None = Field(None, ge=1, description="Default: privacy.k.")
    max_suppression: float | None = Field(
        None, ge=0, le=1, description="Default: privacy.max_suppression."
    )


class KAnonymizeSpec(Strict):
    """Mondrian multidimensional k-anonymization of the quasi-identifiers."""

    kind: Literal["k_anonymize"]
    quasi_identifiers: list[str] | None = Field(
        None, description="Default: privacy.quasi_identifiers."
    )
    k: int | None = Field(None, ge=1, description="Default: privacy.k.")
    l: int | None = Field(  # noqa: E741
        None, ge=1, description="Enforce distinct l-diversity; default: privacy.l."
    )
    t: float | None = Field(
        None, gt=0, le=1, description="Enforce t-closeness; default: privacy.t."
    )
    sensitive_attributes: list[str] | None = Field(
        None, description="Default: privacy.sensitive_attributes."
    )
    max_suppression: float | None = Field(
        None, ge=0, le=1, description="Default: privacy.max_suppression."
    )
    hierarchies: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict,
        description="Per categorical column: generalized value -> original values. Mondrian "
        "keeps each group together and shows its name when a class spans it.",
    )


TransformSpec = Annotated[
    DropSpec | MaskSpec | PseudonymizeSpec | GeneralizeSpec | SuppressSpec | KAnonymizeSpec,
    Field(discriminator="kind"),
]
"""One data transform of the policy's ``transforms:`` list, chosen by its ``kind``."""
