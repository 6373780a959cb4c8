"""Robustness and attacks: perturbation stability, evasion, membership inference, poisoning.

The metrics are registered by :mod:`responsible_ai.robustness.catalog`; the computations, in small
modules here, run once per audit run on a seeded, stratified sample within the budgets of the
policy's ``robustness:`` section. Attacks use IBM's Adversarial Robustness Toolbox (the
``robustness`` extra).
"""

from responsible_ai.robustness.settings import RobustnessSettings

__all__ = ["RobustnessSettings"]
