"""The policy's ``explain:`` section: settings shared by every explanation check."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from responsible_ai.policy._base import Strict

__all__ = ["ExplainSettings"]


class ExplainSettings(Strict):
    """Settings of the explanation family: how many rows to explain, proxy threshold, intervals."""

    sample_size: int = Field(
        1000,
        ge=10,
        description="Rows to explain, sampled per sensitive group (stratified, seeded); all rows "
        "when the data has fewer.",
    )
    min_rows_per_group: int = Field(
        30,
        ge=1,
        description="Every sensitive group gets at least this many rows in the sample (or all of "
        "its rows if it has fewer).",
    )
    proxy_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="A model feature whose association with a sensitive feature (Cramer's V, "
        "correlation ratio or |Spearman|, 0 to 1) reaches this value is flagged as a proxy.",
    )
    background_size: int = Field(
        200,
        ge=10,
        description="Rows summarizing the data for linear and model-agnostic explainers.",
    )
    bootstrap: int = Field(
        200, ge=20, description="Bootstrap resamples for the intervals of importances and gaps."
    )
    confidence: float = Field(
        0.95, gt=0.5, lt=1.0, description="Confidence level of the bootstrap intervals."
    )
    n_jobs: int | None = Field(
        None,
        ge=1,
        description="Worker processes for TreeSHAP (threads for LightGBM); default $RAI_N_JOBS, "
        "else every core available; 1 explains in one process. The values are the same.",
    )
    engine_sample_size: int = Field(
        2000,
        ge=10,
        description="On the duckdb and spark engines: rows collected to the driver to explain, a "
        "seeded sample stratified by the sensitive groups and the label.",
    )
    on_executors: bool | Literal["auto"] = Field(
        "auto",
        description="On the spark engine: compute a tree ensemble's SHAP values on the executors "
        "(mapInPandas, the explainer broadcast) instead of the driver; auto does so from 5000 "
        "sampled rows (engine_sample_size). The values are the same.",
    )
    top_reasons: int = Field(
        4, ge=1, le=20, description="Principal reasons listed for each negative decision."
    )
