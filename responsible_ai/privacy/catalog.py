"""The privacy metrics: identifiers left in the data, and how identifiable its records are.

None of them needs predictions or a target: they measure the data itself (typically the output of
``rai anonymize``). Quasi-identifiers and sensitive attributes come from the policy's ``privacy:``
section unless a check's ``params`` name others.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from responsible_ai.checker.registry import MetricSpec, register

__all__ = ["PRIVACY_METRICS", "PrivacyParams"]


class PrivacyParams(BaseModel):
    """Parameters every privacy metric accepts (each overrides the policy's ``privacy:``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quasi_identifiers: list[str] | None = Field(
        None, description="Override privacy.quasi_identifiers for this check."
    )
    sensitive_attributes: list[str] | None = Field(
        None, description="Override privacy.sensitive_attributes for this check."
    )
    l_diversity: Literal["distinct", "entropy"] | None = Field(
        None, description="Override privacy.l_diversity for this check."
    )
    min_confidence: float | None = Field(
        None, ge=0, le=1, description="Override privacy.min_confidence for this check."
    )
    risk_threshold: float | None = Field(
        None, gt=0, le=1, description="Override privacy.risk_threshold for this check."
    )


_COMPUTE = "responsible_ai.privacy.checks:measure"

PRIVACY_METRICS: dict[str, str] = {
    "privacy.direct_identifier_columns": "Columns that still hold direct identifiers (e-mail, "
    "phone, national id, card, IBAN, IP, name, address, birth date); evidence names them.",
    "privacy.k_anonymity": "k: size of the smallest equivalence class on the quasi-identifiers.",
    "privacy.l_diversity": "Smallest l over sensitive attributes and classes (distinct values, "
    "or exp(entropy) with l_diversity: entropy).",
    "privacy.t_closeness": "Largest earth mover's distance between a class's sensitive values "
    "and the whole table's.",
    "privacy.prosecutor_risk_max": "Highest re-identification risk of a record: 1 / k.",
    "privacy.prosecutor_risk_avg": "Average re-identification risk: classes / records.",
    "privacy.unique_records_share": "Share of records unique on their quasi-identifiers.",
    "privacy.records_at_risk_share": "Share of records whose risk exceeds privacy.risk_threshold.",
}

register(
    *(
        MetricSpec(
            id=metric_id,
            summary=summary,
            compute=_COMPUTE,
            needs=frozenset(),
            grouped=False,
            params="responsible_ai.privacy.catalog:PrivacyParams",
        )
        for metric_id, summary in PRIVACY_METRICS.items()
    )
)
