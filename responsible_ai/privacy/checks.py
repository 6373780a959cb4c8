"""Compute the privacy metrics of the registry from the audited frame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from responsible_ai.checker.findings import Measurement
from responsible_ai.privacy.catalog import PrivacyParams
from responsible_ai.privacy.detect import DETECTION_COLUMNS, detect_identifiers
from responsible_ai.privacy.quasi import FROM_DATA, FROM_POLICY, find_quasi_identifiers
from responsible_ai.privacy.risk import NO_QUASI_IDENTIFIERS, anonymity_summary

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.policy.schema import Check

__all__ = ["NO_SENSITIVE", "measure"]

NO_SENSITIVE = (
    "cannot compute: no sensitive attributes; list them in privacy.sensitive_attributes "
    "(or params.sensitive_attributes of the check)"
)


def _detections(context: AuditContext) -> list[dict[str, Any]]:
    settings = context.policy.privacy

    def compute() -> list[dict[str, Any]]:
        table = detect_identifiers(
            context.data.frame, settings.detection_sample_size, random_state=context.seed
        )
        return [{str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")]

    return context.cached(("privacy.detections",), compute)


def _quasi_identifiers(context: AuditContext, params: PrivacyParams) -> tuple[list[str], str]:
    """The check's or the policy's quasi-identifiers, else those found in the data."""
    named = list(params.quasi_identifiers or context.policy.privacy.quasi_identifiers)
    if named:
        return named, FROM_POLICY

    def compute() -> list[str]:
        detections = pd.DataFrame(_detections(context), columns=DETECTION_COLUMNS)
        return [row["column"] for row in find_quasi_identifiers(context.data.frame, detections)]

    return list(context.cached(("privacy.quasi_identifiers_found",), compute)), FROM_DATA


def _summary(context: AuditContext, params: PrivacyParams) -> dict[str, Any]:
    settings = context.policy.privacy
    qis = tuple(_quasi_identifiers(context, params)[0])
    sensitive = tuple(params.sensitive_attributes or settings.sensitive_attributes)
    threshold = params.risk_threshold or settings.risk_threshold
    if not qis:
        raise ValueError(NO_QUASI_IDENTIFIERS)

    def compute() -> dict[str, Any]:
        return anonymity_summary(context.data.frame, list(qis), list(sensitive), threshold)

    return context.cached(("privacy.summary", qis, sensitive, threshold), compute)


def _risk_evidence(summary: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "k", "classes", "records", "unique_records", "unique_records_share",
        "prosecutor_risk_max", "prosecutor_risk_avg", "records_at_risk",
        "records_at_risk_share", "risk_threshold", "class_sizes",
    )  # fmt: skip
    return {key: summary[key] for key in keys}


def measure(context: AuditContext, check: Check, by: list[str] | None) -> Measurement:
    """Measure one privacy metric (the check's ``metric``) on the audited data."""
    params = PrivacyParams.model_validate(check.params)
    settings = context.policy.privacy
    metric = check.metric.split(".", 1)[1]
    if metric == "direct_identifier_columns":
        minimum = (
            settings.min_confidence if params.min_confidence is None else params.min_confidence
        )
        rows = _detections(context)
        found = [row for row in rows if row["confidence"] >= minimum]
        hints = [row for row in rows if row["confidence"] < minimum]
        found_evidence = {"columns": found, "hints": hints, "min_confidence": minimum}
        return Measurement(float(len(found)), found_evidence)

    summary = _summary(context, params)
    qis, source = _quasi_identifiers(context, params)
    evidence: dict[str, Any] = {
        "quasi_identifiers": qis,
        "quasi_identifiers_from": source,
        **_risk_evidence(summary),
    }
    if metric in ("l_diversity", "t_closeness"):
        if not summary["l_diversity"]:
            return Measurement(None, evidence, NO_SENSITIVE)
        if metric == "l_diversity":
            kind = params.l_diversity or settings.l_diversity
            per_column = {col: values[kind] for col, values in summary["l_diversity"].items()}
            evidence.update(l_diversity=summary["l_diversity"], measure=kind)
            return Measurement(min(per_column.values()), evidence)
        evidence.update(t_closeness=summary["t_closeness"])
        return Measurement(max(summary["t_closeness"].values()), evidence)
    value_of = {
        "k_anonymity": "k",
        "prosecutor_risk_max": "prosecutor_risk_max",
        "prosecutor_risk_avg": "prosecutor_risk_avg",
        "unique_records_share": "unique_records_share",
        "records_at_risk_share": "records_at_risk_share",
    }
    return Measurement(float(summary[value_of[metric]]), evidence)
