"""The explanation metrics a policy can name. Light: no numpy, pandas or shap at import.

Every metric derives from one :class:`~responsible_ai.explain.Explanation` per run (SHAP values of a
stratified, seeded sample), computed on first use and shared through the run's cache.
"""

from __future__ import annotations

from responsible_ai.checker.registry import MetricSpec, register

__all__ = ["EXPLAIN_METRICS"]

_MODEL = frozenset({"model"})

EXPLAIN_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        id="explain.sensitive_attribution_share",
        summary="Share of total mean |SHAP| on sensitive features the model takes (0 when it "
        "takes none).",
        compute="responsible_ai.explain.checks:sensitive_attribution_share",
        needs=_MODEL,
        grouped=False,
    ),
    MetricSpec(
        id="explain.max_proxy_association",
        summary="Strongest association (0-1) of a model feature with the sensitive feature; the "
        "feature is named in the evidence.",
        compute="responsible_ai.explain.checks:max_proxy_association",
        needs=_MODEL,
    ),
    MetricSpec(
        id="explain.group_attribution_gap",
        summary="Largest difference between groups in a feature's mean SHAP value, as a share of "
        "the mean total |SHAP| of a row.",
        compute="responsible_ai.explain.checks:group_attribution_gap",
        needs=_MODEL,
    ),
    MetricSpec(
        id="explain.additivity_error",
        summary="Largest |sum of SHAP values + expected value - model output| over explained "
        "rows: whether the explanation is faithful.",
        compute="responsible_ai.explain.checks:additivity_error",
        needs=_MODEL,
        grouped=False,
    ),
)

register(*EXPLAIN_METRICS)
