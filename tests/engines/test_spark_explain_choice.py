"""Where a Spark sample's SHAP values are computed: explain.on_executors, the model, the files."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from responsible_ai.engines.spark_explain import ON_EXECUTORS_MIN_ROWS, wants_executors
from responsible_ai.errors import InputError
from responsible_ai.policy.schema import Policy


def _spark(master: str, cores: int) -> SimpleNamespace:
    return SimpleNamespace(sparkContext=SimpleNamespace(master=master, defaultParallelism=cores))


CLUSTER, LOCAL = _spark("spark://head:7077", 64), _spark("local[2]", 2)
FOREST, LINEAR = RandomForestClassifier(), LogisticRegression()


def test_true_sends_a_forest_on_parquet_to_the_executors_even_locally() -> None:
    assert wants_executors(True, FOREST, 100, "parquet", LOCAL) is None
    assert wants_executors(True, FOREST, 100, "spark", LOCAL) is None


@pytest.mark.parametrize(
    ("setting", "model", "rows", "kind", "spark", "why"),
    [
        (False, FOREST, 10**6, "parquet", CLUSTER, "explain.on_executors: false"),
        (True, LINEAR, 10**6, "parquet", CLUSTER, "only tree ensembles"),
        (True, FOREST, 10**6, "csv", CLUSTER, "text files are typed on the driver"),
        ("auto", FOREST, 10**6, "parquet", LOCAL, "no more cores than the driver's"),
        ("auto", FOREST, ON_EXECUTORS_MIN_ROWS - 1, "parquet", CLUSTER, "fewer than 5000"),
    ],
)
def test_what_keeps_the_values_on_the_driver(setting, model, rows, kind, spark, why) -> None:
    assert why in (wants_executors(setting, model, rows, kind, spark) or "")


def test_auto_on_a_cluster_from_the_threshold() -> None:
    assert wants_executors("auto", FOREST, ON_EXECUTORS_MIN_ROWS, "parquet", CLUSTER) is None


def test_the_setting_defaults_to_auto_and_refuses_other_words() -> None:
    assert Policy(name="p").explain.on_executors == "auto"
    with pytest.raises((InputError, ValueError)):
        Policy(name="p", explain={"on_executors": "sometimes"})
