"""The Spark engine, on a real local Spark (one session for the module): the same report as pandas.

Few tests on purpose: starting Spark costs seconds. They run on one xdist worker (one group), so
the suite starts one JVM.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from engine_helpers import LENDING, german_model_and_decisions, same_findings

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip(
        "Spark needs Java: apt-get install openjdk-17-jre-headless", allow_module_level=True
    )

from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder  # noqa: E402

from responsible_ai.auditing import audit  # noqa: E402
from responsible_ai.cli import main  # noqa: E402
from responsible_ai.errors import InputError  # noqa: E402

pytestmark = pytest.mark.xdist_group("spark")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("responsible-ai-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_a_spark_dataframe_and_files_give_the_pandas_report(spark, policy_file, tmp_path) -> None:
    _model, data = german_model_and_decisions()
    path = tmp_path / "german.parquet"
    data.to_parquet(path)
    reference = audit(path, policy_file, prediction="approved", engine="pandas")
    frame = spark.createDataFrame(data.astype({"sex": object}).where(data.notna(), None))
    from_frame = audit(frame, policy_file, prediction="approved")  # a Spark DataFrame: Spark
    same_findings(from_frame, reference)
    assert from_frame.data_notes[0].startswith("counted by Spark over a Spark DataFrame")
    assert from_frame.data_notes[1:] == reference.data_notes[1:]
    csv = tmp_path / "german.csv"
    data.to_csv(csv, index=False)
    same_findings(audit(csv, policy_file, prediction="approved", engine="spark"), reference)


def test_a_model_predicts_on_the_executors(spark, policy_file, tmp_path) -> None:
    model, data = german_model_and_decisions()
    path = tmp_path / "german.parquet"
    data.drop(columns=["approved"]).to_parquet(path)
    in_memory = audit(data.drop(columns=["approved"]), policy_file, model=model)
    on_spark = audit(path, policy_file, model=model, engine="spark")
    same_findings(on_spark, in_memory)
    assert "the model predicted on the executors" in on_spark.data_notes[0]
    assert on_spark.inputs["model"]["type"].endswith("Pipeline")


def test_rai_check_engine_spark_and_what_it_refuses(spark, policy_file, tmp_path, capsys) -> None:
    _model, data = german_model_and_decisions()
    path = tmp_path / "german.parquet"
    data.to_parquet(path)
    code = main(
        [
            "check",
            str(path),
            "--policy",
            policy_file,
            "--prediction",
            "approved",
            "--engine",
            "spark",
            "--format",
            "md",
        ]
    )
    assert code == 1
    assert "counted by Spark over 1 parquet file(s)" in capsys.readouterr().out
    with pytest.raises(InputError, match="needs a model: give it"):
        audit(path, LENDING, prediction="approved", engine="spark")
    frame = spark.createDataFrame(pd.DataFrame({"sex": ["a", "b"], "approved": ["good", None]}))
    policy = {
        "name": "p",
        "data": {"sensitive": ["sex"], "positive_label": "good"},
        "checks": [{"id": "r", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"}],
    }
    with pytest.raises(InputError, match="prediction column 'approved' has missing value"):
        audit(frame, policy, prediction="approved")


def test_score_and_regression_sums_on_the_executors(spark, tmp_path) -> None:
    from test_engine_scores import policy, same_values, scored

    data = scored()
    path = tmp_path / "scored.parquet"
    data.to_parquet(path)
    in_memory = audit(data, policy(True))
    streamed = audit(path, policy(True))  # the same sums, batch by batch
    frame = spark.createDataFrame(data.astype({"sex": object}).where(data.notna(), None))
    on_spark = audit(frame, policy(True))
    same_values(on_spark, in_memory)
    same_findings(on_spark, streamed)
    assert on_spark.data_notes[0].endswith("per-group counts only and score sums")
    bad = data.assign(outcome=data["outcome"].astype(object), weight=data["weight"].astype(object))
    bad.loc[5, "outcome"] = "none yet"  # not a number: the regression checks error, as in memory
    csv = tmp_path / "bad.csv"
    bad.to_csv(csv, index=False)
    from_csv = {f.id: f for f in audit(csv, policy(True), engine="spark").checks}
    in_memory = {f.id: f for f in audit(pd.read_csv(csv), policy(True)).checks}
    assert from_csv["mae[sex]"].message == in_memory["mae[sex]"].message
    assert from_csv["gap[sex]"].value == pytest.approx(in_memory["gap[sex]"].value, abs=1e-12)
    bad.loc[9, "weight"] = "heavy"  # Spark 4 casts under ANSI mode: a bad value is refused
    bad.to_csv(csv, index=False)
    with pytest.raises(InputError, match="weight column 'weight' must be numeric"):
        audit(csv, policy(True), engine="spark")
    with pytest.raises(InputError, match=r"'flips' .* needs each row, which the spark engine"):
        flips = {"id": "flips", "metric": "privacy.direct_identifier_columns", "must": "== 0"}
        audit(frame, policy(True) | {"checks": [flips]})
    # ROC AUC and the scoring rate from counts per fine score bin: on bin-valued scores, the
    # in-memory values
    from test_engine_auc import SCORING, auc_policy, binned_scored, same_auc

    binned = binned_scored()
    frame = spark.createDataFrame(binned.astype({"sex": object}).where(binned.notna(), None))
    for weighted in (False, True):
        same_auc(audit(frame, auc_policy(weighted)), audit(binned, auc_policy(weighted)))
    scoring = auc_policy(False, [SCORING])
    for a, b in zip(audit(frame, scoring).checks, audit(binned, scoring).checks, strict=True):
        assert (a.status, a.value) == (b.status, pytest.approx(b.value, abs=1e-12))


def test_explain_checks_run_on_a_sample_collected_from_spark(spark, tmp_path) -> None:
    model, data = german_model_and_decisions()
    path = tmp_path / "german.parquet"
    data.drop(columns=["approved"]).to_parquet(path)
    policy = tmp_path / "sampled.yaml"
    policy.write_text(f"name: sampled\nextends: {LENDING}\nexplain:\n  engine_sample_size: 300\n")
    report = audit(path, str(policy), model=model, engine="spark")
    n = report.explanation.rows_explained
    assert 300 <= n < 400 and report.explanation.rows_total == 1000
    explained = [f for f in report.checks if f.metric.startswith("explain.")]
    assert [f.status for f in explained].count("error") == 0
    note = f"explained on a stratified sample of {n} of 1000 rows (Spark; strata: sex and age_group"
    assert all(f.evidence["explained_on"].startswith(note) for f in explained)
    assert any(line.startswith(note) for line in report.data_notes)


@pytest.mark.e2e
def test_rai_check_on_spark_prints_the_report_and_nothing_else(policy_file, tmp_path) -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    _model, data = german_model_and_decisions()
    path = tmp_path / "german.parquet"
    data.to_parquet(path)
    root = str(Path(__file__).resolve().parents[2])
    command = ["check", str(path), "--policy", policy_file, "--prediction", "approved"]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "responsible_ai.cli",
            *command,
            "--engine",
            "spark",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if k != "RAI_SPARK_MASTER"},
            "PYTHONPATH": root,
        },
        timeout=600,
    )
    assert done.stderr == ""  # no JVM start-up lines, log4j notices or progress bars
    assert done.returncode == 1
    assert json.loads(done.stdout)["data_notes"][0].startswith("counted by Spark over 1 parquet")


#: The lending policy's counterfactual flip test is not under test here: off, to keep it fast.
ROW_CHECKS_OFF = "checks:\n  - id: counterfactual-decision\n    enabled: false\n"


def _small_forest(data: pd.DataFrame, features: list[str]) -> Pipeline:
    text = [c for c in features if not pd.api.types.is_numeric_dtype(data[c])]
    prepare = ColumnTransformer(
        [("text", OneHotEncoder(handle_unknown="ignore"), text)], remainder="passthrough"
    )
    forest = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0, n_jobs=1)
    return Pipeline([("prepare", prepare), ("model", forest)]).fit(data[features], data["approved"])


def test_shap_values_on_the_executors_equal_the_drivers(spark, tmp_path) -> None:
    reference, data = german_model_and_decisions()
    features = [str(c) for c in reference.feature_names_in_]
    model = _small_forest(data, features)
    path = tmp_path / "german.parquet"
    data.drop(columns=["approved"]).to_parquet(path)
    reports = {}
    for where in ("true", "false"):
        policy = tmp_path / f"{where}.yaml"
        policy.write_text(
            f"name: sampled\nextends: {LENDING}\n{ROW_CHECKS_OFF}"
            f"explain:\n  engine_sample_size: 200\n  on_executors: {where}\n"
        )
        reports[where] = audit(path, str(policy), model=model, engine="spark")
    executors, driver = reports["true"].explanation, reports["false"].explanation
    assert executors.rows_explained == driver.rows_explained > 0
    pd.testing.assert_frame_equal(executors.data, driver.data)
    np.testing.assert_allclose(executors.values, driver.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(executors.output, driver.output, rtol=0, atol=1e-12)
    assert executors.expected_value == pytest.approx(driver.expected_value, abs=1e-12)
    assert executors.compute_details[0].startswith("SHAP values computed on the Spark executors")
    assert "SHAP on the driver (explain.on_executors: false)" in driver.sample_note
    found = [f for f in reports["true"].checks if f.metric.startswith("explain.")]
    assert all("on the Spark executors" in f.evidence["explained_on"] for f in found)
    assert [f.status for f in found].count("error") == 0
