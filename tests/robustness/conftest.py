"""German credit split for the robustness tests: 70% to train on, 30% held out (seeded)."""

from __future__ import annotations

from typing import Any

import pytest
from sklearn.base import clone
from sklearn.tree import DecisionTreeClassifier

from responsible_ai.datasets import load_german_credit
from responsible_ai.reference_models import build_reference_model, reference_training_rows


@pytest.fixture(scope="session")
def german_split() -> dict[str, Any]:
    german = load_german_credit()
    trained = reference_training_rows(german, holdout=0.3).to_numpy()
    train = german.data.loc[trained].reset_index(drop=True)
    held_out = german.data.loc[~trained].reset_index(drop=True)
    smooth = build_reference_model(german).fit(train[german.features], train[german.target])
    deep = clone(build_reference_model(german))
    deep.steps[-1] = ("model", DecisionTreeClassifier(random_state=0))  # grown to purity
    deep.fit(train[german.features], train[german.target])
    return {
        "german": german,
        "train": train,
        "held_out": held_out,
        "smooth": smooth,
        "deep": deep,
    }
