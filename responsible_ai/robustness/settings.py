"""The policy's ``robustness:`` section: sample sizes and attack budgets shared by every check.

The defaults finish the German credit audit in seconds; a pass of an attack check means "no attack
found within this budget", never "secure": raise the budgets to look harder.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from responsible_ai.policy._base import Strict

__all__ = ["RobustnessSettings"]


class RobustnessSettings(Strict):
    """Settings of the robustness family: sample sizes, perturbation sizes, attack budgets."""

    sample_size: int = Field(
        300,
        ge=10,
        description="Rows perturbed for the stability and counterfactual checks, sampled per "
        "sensitive group (stratified, seeded); all rows when the data has fewer.",
    )
    min_rows_per_group: int = Field(
        30,
        ge=1,
        description="Every sensitive group gets at least this many rows in the sample (or all of "
        "its rows if it has fewer).",
    )
    noise_scale: float = Field(
        0.1,
        gt=0.0,
        le=2.0,
        description="Numeric noise: normal with this many standard deviations of each feature.",
    )
    swap_probability: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Chance that a categorical feature of a row is swapped to another value, "
        "drawn by frequency (frequent neighbours are likelier).",
    )
    repeats: int = Field(
        5, ge=1, le=100, description="Perturbed copies of each sampled row (stability check)."
    )
    evasion_rows: int = Field(
        20,
        ge=1,
        description="Rows the evasion attack tries to flip (stratified, seeded sample; each "
        "sensitive group gets at least one, so a few more with many small groups).",
    )
    evasion_attack: Literal["hopskipjump", "boundary"] = Field(
        "hopskipjump",
        description="ART's black-box evasion attack: HopSkipJump or Boundary (decision-based).",
    )
    evasion_queries: int = Field(
        300,
        ge=20,
        description="Query budget per attacked row: the attack's iterations are chosen so that "
        "it asks the model at most about this many times; the evidence states the queries used.",
    )
    evasion_max_perturbation: float = Field(
        1.0,
        gt=0.0,
        description="An evasion counts as a success when it flips the decision with a change of "
        "at most this size (L2 norm over the numeric features, in standard deviations).",
    )
    membership_rows: int = Field(
        400,
        ge=20,
        description="Rows taken from each of data.train (members) and the audited data "
        "(non-members) for the membership-inference attack.",
    )
    membership_attack_model: Literal["rf", "gb", "lr", "dt", "knn"] = Field(
        "rf",
        description="The attack model ART's black-box membership inference trains: random "
        "forest, gradient boosting, logistic regression, decision tree, k nearest neighbours.",
    )
    poisoning_threshold: float = Field(
        0.1,
        gt=0.0,
        lt=0.5,
        description="A training record is a poisoning suspect when models fitted without it "
        "(5-fold) give its own label a probability below this.",
    )
    poisoning_rows: int = Field(
        5000, ge=50, description="Training rows screened for poisoning (seeded sample)."
    )
    bootstrap: int = Field(
        200, ge=20, description="Bootstrap resamples for the intervals of flip rates and AUC."
    )
    confidence: float = Field(
        0.95, gt=0.5, lt=1.0, description="Confidence level of the bootstrap intervals."
    )
