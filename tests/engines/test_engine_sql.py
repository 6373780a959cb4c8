"""The sql engine: one GROUP BY in SQLite and in a real PostgreSQL gives the pandas report."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from engine_helpers import LENDING, WEIGHTED, german_model_and_decisions, same_findings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_scores import policy, same_values, scored

from responsible_ai.auditing import audit
from responsible_ai.cli import main
from responsible_ai.engines import choose, sql_database, sql_engine
from responsible_ai.engines.cube import SCORE_NOT_NUMERIC
from responsible_ai.errors import InputError
from responsible_ai.report import report_json_schema

HOSTILE_TABLE = 'decisions"; DROP TABLE decisions; --'
HOSTILE_COLUMN = "sex'); DROP TABLE decisions; --\"x"


def german() -> pd.DataFrame:
    return german_model_and_decisions()[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database holding the German sample with decisions as table ``decisions``."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'decisions.sqlite'}"
    else:
        server = request.getfixturevalue("postgres")
        url = server.new_database()
    engine = sa.create_engine(url)
    german().to_sql("decisions", engine, index=False)
    engine.dispose()
    yield url
    if request.param == "postgresql":
        server.drop_database(url)


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "german.parquet"
    german().to_parquet(path)
    return path


def test_a_table_gives_the_pandas_engines_report(database, policy_file, parquet) -> None:
    reference = audit(parquet, policy_file, prediction="approved", engine="pandas")
    ours = audit("decisions", policy_file, prediction="approved", engine="sql", url=database)
    same_findings(ours, reference)
    dialect = "sqlite" if database.startswith("sqlite") else "postgresql"
    assert ours.data_notes[0] == (
        f"counted by the database ({dialect}) in one GROUP BY over table 'decisions': "
        "per-group counts only"
    )
    assert ours.data_notes[1:] == reference.data_notes[1:]  # the two missing sexes, grouped
    assert ours.inputs["data"]["rows"] == 1000


def test_weights_and_missing_values_dropped_equal(database, parquet) -> None:
    policy = {**WEIGHTED, "data": {**WEIGHTED["data"], "missing_sensitive": "drop"}}
    reference = audit(parquet, policy, prediction="approved", engine="pandas")
    ours = audit("decisions", policy, prediction="approved", url=database)  # url: sql
    same_findings(ours, reference)
    assert ours.data_notes[1:] == reference.data_notes[1:]
    assert ours.inputs["data"]["rows"] == reference.inputs["data"]["rows"]


def test_the_report_records_the_table_a_masked_url_and_a_counts_hash(postgres, parquet) -> None:
    url = postgres.new_database()
    engine = sa.create_engine(url)
    german().to_sql("decisions", engine, index=False)
    german().iloc[:900].to_sql("fewer", engine, index=False)
    engine.dispose()
    sqlite = parquet.parent / "copy.sqlite"
    german().to_sql("decisions", sa.create_engine(f"sqlite:///{sqlite}"), index=False)
    report = audit("decisions", WEIGHTED, prediction="approved", url=url)
    data = report.inputs["data"]
    assert data["table"] == "decisions"
    assert data["database"] == sa.make_url(url).render_as_string(hide_password=True)
    assert "***" in data["database"] and data["sha256_of"] == sql_engine.HASH_OF
    assert report.input_rows()[0][1] == f"table decisions at {data['database']}"
    for text in (report.to_json(), report.render("md"), report.render("html"), report.to_text()):
        assert postgres.password not in text
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(report.to_dict(), report_json_schema())
    # The hash is of the counts: the same counts in SQLite hash alike, other counts do not.
    same = audit("decisions", WEIGHTED, prediction="approved", url=f"sqlite:///{sqlite}")
    other = audit("fewer", WEIGHTED, prediction="approved", url=url)
    assert same.inputs["data"]["sha256"] == data["sha256"]
    assert other.inputs["data"]["sha256"] != data["sha256"]
    postgres.drop_database(url)


def test_hostile_table_and_column_names_are_identifiers(database) -> None:
    engine = sa.create_engine(database)
    german().rename(columns={"sex": HOSTILE_COLUMN}).to_sql(HOSTILE_TABLE, engine, index=False)
    policy = {
        "name": "hostile",
        "data": {"sensitive": [HOSTILE_COLUMN], "positive_label": "good", "weight": "weight"},
        "checks": [{"id": "ratio", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"}],
    }
    ours = audit(HOSTILE_TABLE, policy, prediction="approved", url=database)
    frame = german().rename(columns={"sex": HOSTILE_COLUMN})
    same_findings(ours, audit(frame, policy, prediction="approved"))
    assert {"decisions", HOSTILE_TABLE} <= set(sa.inspect(engine).get_table_names())
    with pytest.raises(InputError, match="there is no table or view 'decisions; DROP"):
        audit("decisions; DROP TABLE decisions", policy, prediction="approved", url=database)
    engine.dispose()


def test_a_view_and_a_table_in_another_schema(postgres, parquet) -> None:
    url = postgres.new_database()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text('CREATE SCHEMA "lending"'))
    german().to_sql("decisions", engine, index=False, schema="lending")
    with engine.begin() as connection:
        connection.execute(sa.text('CREATE VIEW recent AS SELECT * FROM "lending"."decisions"'))
    engine.dispose()
    reference = audit(parquet, WEIGHTED, prediction="approved", engine="pandas")
    same_findings(audit("lending.decisions", WEIGHTED, prediction="approved", url=url), reference)
    same_findings(audit("recent", WEIGHTED, prediction="approved", url=url), reference)
    postgres.drop_database(url)


def _check(data: str, *extra: str, policy: str | None = None) -> list[str]:
    return [
        "check",
        data,
        "--policy",
        policy or "eeoc-four-fifths",
        "--prediction",
        "approved",
        "--positive-label",
        "good",
        "--sensitive",
        "sex,age_group",
        "--engine",
        "sql",
        *extra,
    ]


def _url_file(tmp_path: Path, url: str, mode: int = 0o600) -> str:
    path = tmp_path / f"db-{len(list(tmp_path.glob('db-*.url')))}.url"
    path.write_text(url + "\n")
    path.chmod(mode)
    return str(path)


def test_rai_check_engine_sql_on_postgresql(postgres, tmp_path, capsys) -> None:
    url = postgres.new_database()
    german().to_sql("decisions", sa.create_engine(url), index=False)
    code = main(_check("decisions", "--url-file", _url_file(tmp_path, url), "--format", "json"))
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert json.loads(out)["inputs"]["data"]["table"] == "decisions"
    assert postgres.password not in out
    postgres.drop_database(url)


def test_the_password_comes_from_pgpassword(postgres, monkeypatch, capsys) -> None:
    url = postgres.new_database()
    german().to_sql("decisions", sa.create_engine(url), index=False)
    full = sa.make_url(url)
    bare = f"{full.drivername}://{full.username}@{full.host}:{full.port}/{full.database}"
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    assert main(_check("decisions", "--url", bare)) in (0, 1)
    assert "counted by the database (postgresql)" in capsys.readouterr().out
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv(sql_database.URL_ENV, url)  # or the whole URL in $RAI_SQL_URL
    assert main(_check("decisions")) in (0, 1)
    postgres.drop_database(url)


def _one_line_error(argv: list[str], capsys, secret: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert secret not in err and "Traceback" not in err
    return err


def test_cli_errors_are_one_line_with_the_password_masked(postgres, tmp_path, capsys) -> None:
    url = postgres.new_database()
    german().drop(columns=["age_group"]).to_sql("decisions", sa.create_engine(url), index=False)
    secret = postgres.password
    closed = url.replace(f":{postgres.port}/", ":1/")  # nothing listens on port 1
    cases = {
        "there is no table or view 'decision' in the database at postgresql+psycopg://rai:***@": (
            _check("decision", "--url-file", _url_file(tmp_path, url))
        ),
        "sensitive column 'age_group' is not in table 'decisions'": (
            _check("decisions", "--url-file", _url_file(tmp_path, url))
        ),
        "cannot connect to the database at postgresql+psycopg://rai:***@127.0.0.1:1/": (
            _check("decisions", "--url-file", _url_file(tmp_path, closed))
        ),
        "is not a database URL SQLAlchemy knows": (
            _check("decisions", "--url-file", _url_file(tmp_path, f"nonsense:{secret}@x"))
        ),
        "no driver for nosuchdb://rai:***@": (
            _check("decisions", "--url-file", _url_file(tmp_path, f"nosuchdb://rai:{secret}@h/d"))
        ),
        "--url holds a password": _check("decisions", "--url", url),
        sql_database.BOTH_URLS: _check("decisions", "--url", "sqlite://", "--url-file", "f"),
        "is readable by group or others (mode 644); run: chmod 600": (
            _check("decisions", "--url-file", _url_file(tmp_path, url, 0o644))
        ),
        "there is no SQLite database file at": (
            _check("decisions", "--url", f"sqlite:///{tmp_path / 'none.sqlite'}")
        ),
    }
    for message, argv in cases.items():
        assert message in _one_line_error(argv, capsys, secret), message
    assert not (tmp_path / "none.sqlite").exists()  # nothing created by looking
    postgres.drop_database(url)


def test_a_user_without_select_is_told_so(postgres, tmp_path, capsys) -> None:
    url = postgres.new_database()
    engine = sa.create_engine(url)
    german().to_sql("decisions", engine, index=False)
    reader_password = "Reader-" + postgres.password
    with engine.begin() as connection:
        connection.execute(sa.text("DROP ROLE IF EXISTS rai_reader"))
        connection.execute(sa.text(f"CREATE ROLE rai_reader LOGIN PASSWORD '{reader_password}'"))
    engine.dispose()
    reader = sa.make_url(url).set(username="rai_reader", password=reader_password)
    argv = _check("decisions", "--url-file", _url_file(tmp_path, reader.render_as_string(False)))
    err = _one_line_error(argv, capsys, reader_password)
    assert "refused to read 'decisions': " in err and "permission denied" in err
    assert "grant SELECT on it" in err
    postgres.drop_database(url)
    with sa.create_engine(postgres.url()).begin() as connection:
        connection.execute(sa.text("DROP ROLE rai_reader"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.assign(weight=-d["weight"]), "weight column 'weight' has negative values"),
        (
            lambda d: d.assign(weight=d["weight"].where(d.index != 4)),
            "weight column 'weight' has missing value",
        ),
        (lambda d: d.assign(weight=d["weight"] > 1), "weight column 'weight' must be numeric"),
        (
            lambda d: d.assign(approved=d["approved"].where(d.index != 7, None)),
            "prediction column 'approved' has missing value",
        ),
        (lambda d: d.iloc[:0], "table 'decisions' at sqlite:///"),
    ],
)
def test_bad_data_is_one_line(tmp_path, change, message: str) -> None:
    url = f"sqlite:///{tmp_path / 'bad.sqlite'}"
    change(german()).to_sql("decisions", sa.create_engine(url), index=False)
    with pytest.raises(InputError, match=message):
        audit("decisions", WEIGHTED, prediction="approved", url=url)


def test_text_in_a_sqlite_weight_column_and_nan_in_postgresql(postgres, tmp_path) -> None:
    path = tmp_path / "text.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    german().to_sql("decisions", engine, index=False)
    with engine.begin() as connection:  # SQLite keeps text in a REAL column as it is
        connection.execute(sa.text("UPDATE decisions SET weight = 'heavy' WHERE rowid = 3"))
    with pytest.raises(InputError, match="weight column 'weight' must be numeric"):
        audit("decisions", WEIGHTED, prediction="approved", url=f"sqlite:///{path}")
    url = postgres.new_database()
    engine = sa.create_engine(url)
    german().to_sql("decisions", engine, index=False)
    with engine.begin() as connection:  # PostgreSQL keeps NaN in a double precision column
        connection.execute(sa.text("UPDATE decisions SET weight = 'NaN' WHERE age = 67"))
    engine.dispose()
    with pytest.raises(InputError, match="weight column 'weight' has missing value"):
        audit("decisions", WEIGHTED, prediction="approved", url=url)
    postgres.drop_database(url)


def test_what_the_sql_engine_cannot_do_is_refused(tmp_path) -> None:
    model, data = german_model_and_decisions()
    url = f"sqlite:///{tmp_path / 'd.sqlite'}"
    data.to_sql("decisions", sa.create_engine(url), index=False)
    with pytest.raises(InputError, match=r"needs each row, which the sql engine .*read_sql_table"):
        audit("decisions", LENDING, prediction="approved", url=url)
    with pytest.raises(InputError, match=choose.SQL_NEEDS_COLUMN_PREDICTIONS.split(";")[0]):
        audit("decisions", WEIGHTED, model=model, url=url)
    with pytest.raises(InputError, match=choose.NEEDS_TABLE.split(":")[0]):
        audit(data, WEIGHTED, prediction="approved", url=url)
    with pytest.raises(InputError, match="url names a database for engine='sql'"):
        audit("decisions", WEIGHTED, prediction="approved", url=url, engine="duckdb")
    with pytest.raises(InputError, match=re.escape(sql_engine.NEEDS_PREDICTION)):
        audit("decisions", {**WEIGHTED, "checks": WEIGHTED["checks"][:1]}, url=url)


def test_an_engine_object_is_used_and_left_open(tmp_path, parquet) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'd.sqlite'}")
    german().to_sql("decisions", engine, index=False)
    ours = audit("decisions", WEIGHTED, prediction="approved", url=engine)
    same_findings(ours, audit(parquet, WEIGHTED, prediction="approved", engine="pandas"))
    with engine.connect() as connection:  # still usable: the caller's engine is not disposed
        assert connection.execute(sa.text("SELECT count(*) FROM decisions")).scalar() == 1000


def test_postgresql_reads_in_a_read_only_transaction(postgres) -> None:
    database = sql_database.open_database(postgres.url())
    with sql_database.connect(database) as connection:
        assert connection.execute(sa.text("SHOW transaction_read_only")).scalar() == "on"
    database.close()


ROW = st.tuples(
    st.sampled_from(["a", "b", "c", None]),
    st.sampled_from(["yes", "no"]),
    st.sampled_from(["yes", "no"]),
    st.floats(0.1, 5.0),
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, max_size=40), drop=st.booleans())
def test_any_small_table_audits_as_in_memory(rows, drop: bool) -> None:
    # Two fixed rows keep both labels present, so every generated table can be audited.
    rows = [("a", "yes", "yes", 1.0), ("b", "no", "no", 2.0), *rows]
    frame = pd.DataFrame(rows, columns=["group", "approved", "outcome", "weight"])
    policy = {
        "name": "property",
        "data": {
            "sensitive": ["group"],
            "target": "outcome",
            "weight": "weight",
            "positive_label": "yes",
            "missing_sensitive": "drop" if drop else "group",
        },
        "fairness": {"n_boot": 20, "min_group_size": 1},
        "checks": [
            {"id": "dp", "metric": "fairness.demographic_parity_difference", "must": "<= 0.2"},
            {"id": "eo", "metric": "fairness.equal_opportunity_difference", "must": "<= 0.2"},
        ],
    }
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'p.sqlite'}"
        engine = sa.create_engine(url)
        frame.to_sql("decisions", engine, index=False)
        engine.dispose()
        ours = audit("decisions", policy, prediction="approved", url=url)
    same_findings(ours, audit(frame, policy, prediction="approved"))


@settings(max_examples=25, deadline=None)
@given(order=st.permutations(range(6)))
def test_the_counts_hash_does_not_depend_on_the_order_of_rows(order) -> None:
    cube = pd.DataFrame(
        {
            "sex": ["f", "f", "m", "m", None, "m"],
            "approved": ["yes", "no", "yes", "no", "yes", "yes"],
            "rai_rows": [3, 4, 5, 6, 1, 2],
            "rai_weight": [3.5, 4.0, 5.25, 6.0, 1.0, 2.0],
        }
    )
    expected = sql_engine.counts_sha256("t", cube, ["sex", "approved"])
    shuffled = cube.iloc[list(order)].reset_index(drop=True)
    assert sql_engine.counts_sha256("t", shuffled, ["sex", "approved"]) == expected
    assert sql_engine.counts_sha256("u", shuffled, ["sex", "approved"]) != expected
    heavier = shuffled.assign(rai_weight=shuffled["rai_weight"] + 1e-6)
    assert sql_engine.counts_sha256("t", heavier, ["sex", "approved"]) != expected


def test_an_identifier_as_a_group_is_refused(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'd.sqlite'}"
    german().to_sql("decisions", sa.create_engine(url), index=False)
    monkeypatch.setattr(sql_engine, "MAX_COMBINATIONS", 10)
    with pytest.raises(InputError, match="has more than 10 combinations of"):
        audit("decisions", WEIGHTED, prediction="approved", url=url)


def test_integer_weights_sum_as_the_pandas_engine(database, tmp_path) -> None:
    data = german().assign(weight=(german().index % 5).astype("int64") + 1)
    data.to_sql("integer_weights", sa.create_engine(database), index=False)
    path = tmp_path / "integer.parquet"
    data.to_parquet(path)
    reference = audit(path, WEIGHTED, prediction="approved", engine="pandas")
    same_findings(
        audit("integer_weights", WEIGHTED, prediction="approved", url=database), reference
    )


def test_the_output_never_replaces_the_database_or_the_url_file(tmp_path, capsys) -> None:
    database = tmp_path / "d.sqlite"
    german().to_sql("decisions", sa.create_engine(f"sqlite:///{database}"), index=False)
    url_file = _url_file(tmp_path, f"sqlite:///{database}")
    before = database.read_bytes()
    for argv in (
        _check("decisions", "--url", f"sqlite:///{database}", "--output", str(database)),
        _check("decisions", "--url-file", url_file, "--output", url_file),
    ):
        assert main(argv) == 2
        assert "--output" in capsys.readouterr().err
    assert database.read_bytes() == before
    assert Path(url_file).read_text() == f"sqlite:///{database}\n"


# Score and regression metrics: the sums of test_engine_scores.py's policy, in the same GROUP BY.
HOSTILE_SCORE = "p\"; DROP TABLE scores; -- 50% :x AS y'"


def _scores_table(url: str, frame: pd.DataFrame, table: str = "scores") -> None:
    engine = sa.create_engine(url)
    frame.to_sql(table, engine, index=False)
    engine.dispose()


@pytest.mark.parametrize(
    ("weighted", "missing"),
    [(False, "group"), (True, "group"), (True, "drop")],
    ids=["unweighted", "weighted", "weighted-dropped"],
)
def test_a_score_policy_gives_the_pandas_engines_values(
    database, tmp_path, weighted, missing
) -> None:
    _scores_table(database, scored())
    streamed = tmp_path / "scored.parquet"  # the counting engines' notes on missing groups
    scored().to_parquet(streamed)
    chosen = policy(weighted)
    chosen["data"] = chosen["data"] | {"missing_sensitive": missing}
    ours = audit("scores", chosen, url=database)
    in_memory = audit(scored(), chosen)
    same_values(ours, in_memory)
    assert ours.data_notes[0].endswith("per-group counts only and score sums")
    assert ours.data_notes[1:] == audit(streamed, chosen).data_notes[1:]  # two missing sexes
    assert ours.inputs["data"]["rows"] == in_memory.inputs["data"]["rows"]


def test_a_score_policy_needs_no_prediction_column(database) -> None:
    _scores_table(database, scored().drop(columns=["approved"]))
    scores_only = policy(False, prediction=False)
    same_values(
        audit("scores", scores_only, url=database),
        audit(scored().drop(columns=["approved"]), scores_only),
    )


def test_a_hostile_score_column_name_is_an_identifier(database) -> None:
    frame = scored().rename(columns={"p": HOSTILE_SCORE})
    _scores_table(database, frame)
    hostile = policy(True)
    hostile["data"] = hostile["data"] | {"score": HOSTILE_SCORE}
    hostile["checks"] = [  # RMSE names its prediction; the others use the score
        c | {"params": c["params"] | {"prediction": HOSTILE_SCORE}}
        if c.get("params", {}).get("prediction") == "p"
        else c
        for c in hostile["checks"]
    ]
    ours = audit("scores", hostile, url=database)
    same_values(ours, audit(frame, hostile))
    assert {f.status for f in ours.checks} <= {"pass", "fail"}  # computed, not errors
    assert "scores" in sa.inspect(sa.create_engine(database)).get_table_names()


def test_the_hash_covers_the_score_sums(postgres, tmp_path) -> None:
    url, sqlite = postgres.new_database(), f"sqlite:///{tmp_path / 's.sqlite'}"
    _scores_table(url, scored())
    _scores_table(sqlite, scored())
    _scores_table(sqlite, scored().assign(p=scored()["p"] * 0.999), "rescored")
    hashes = [
        audit(t, policy(True), url=u).inputs["data"]
        for t, u in [("scores", url), ("scores", sqlite), ("rescored", sqlite)]
    ]
    assert hashes[0]["sha256"] == hashes[1]["sha256"] != hashes[2]["sha256"]
    assert hashes[0]["sha256_of"] == sql_engine.HASH_OF
    postgres.drop_database(url)


def test_roc_auc_and_the_scoring_rate_from_score_bins(tmp_path, capsys) -> None:
    from test_engine_auc import SCORING, auc_policy, binned_scored, same_auc

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    binned = binned_scored()
    _scores_table(url, binned)
    same_auc(audit("scores", auc_policy(False), url=url), audit(binned, auc_policy(False)))
    scoring = auc_policy(True, [SCORING])
    ours, theirs = audit("scores", scoring, url=url), audit(binned, scoring)
    for a, b in zip(ours.checks, theirs.checks, strict=True):
        assert (a.status, a.value) == (b.status, pytest.approx(b.value, abs=1e-12))
    path = tmp_path / "flips.yaml"
    path.write_text(
        "name: flips\ndata: {target: credit, score: p, prediction: approved, "
        "sensitive: [sex], positive_label: good}\n"
        "checks:\n  - {id: flips, metric: privacy.direct_identifier_columns, must: '== 0'}\n"
    )
    code = main(["check", "scores", "--policy", str(path), "--engine", "sql", "--url", url])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    metric = "privacy.direct_identifier_columns"
    assert err == ["rai: error: " + choose.SQL_NEEDS_ROWS.format(check="flips", metric=metric)]


def test_bad_scores_and_outcomes_fail_as_in_memory(postgres, tmp_path) -> None:
    path = tmp_path / "text.sqlite"
    _scores_table(f"sqlite:///{path}", scored())
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:  # SQLite keeps text in a REAL column as it is
        connection.execute(sa.text("UPDATE scores SET p = 'high' WHERE rowid = 3"))
    engine.dispose()
    with pytest.raises(InputError, match=re.escape(SCORE_NOT_NUMERIC.format(column="p"))):
        audit("scores", policy(False), url=f"sqlite:///{path}")
    url = postgres.new_database()
    _scores_table(url, scored())
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # PostgreSQL keeps NaN in a double precision column
        connection.execute(sa.text("UPDATE scores SET p = 'NaN' WHERE age = 67"))
    engine.dispose()
    nan = scored().assign(p=scored()["p"].where(scored()["age"] != 67))
    with pytest.raises(InputError, match="score column 'p' has 3 missing value") as ours:
        audit("scores", policy(False), url=url)
    with pytest.raises(InputError) as in_memory:
        audit(nan, policy(False))
    assert str(ours.value) == str(in_memory.value)
    # An outcome stored as text: numbers where the text is one, else the checks error
    text = scored().assign(outcome=scored()["outcome"].astype(str).astype(object))
    text.loc[5, "outcome"] = "none yet"
    _scores_table(url, text, "text_outcome")
    ours_checks = {f.id: f for f in audit("text_outcome", policy(False), url=url).checks}
    memory_checks = {f.id: f for f in audit(text, policy(False)).checks}
    for check in ("mae[sex]", "rmse[age_group]", "mean-score[sex]"):
        assert ours_checks[check].status == memory_checks[check].status, check
        assert ours_checks[check].message == memory_checks[check].message, check
    postgres.drop_database(url)


SCORED_ROW = st.tuples(
    st.sampled_from(["a", "b", None]),
    st.sampled_from(["yes", "no"]),
    st.floats(0.0, 1.0),
    st.floats(0.1, 5.0),
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(SCORED_ROW, max_size=30))
def test_any_small_scored_table_audits_as_in_memory(rows) -> None:
    rows = [("a", "yes", 0.9, 1.0), ("b", "no", 0.2, 2.0), ("a", "no", 0.5, 1.5), *rows]
    frame = pd.DataFrame(rows, columns=["group", "outcome", "p", "weight"])
    checks = [
        {"id": "mean", "metric": "fairness.mean_score_difference", "must": "<= 0.2"},
        {"id": "gap", "metric": "fairness.calibration_gap_difference", "must": "<= 0.2"},
        {
            "id": "ece",
            "metric": "fairness.expected_calibration_error_difference",
            "must": "<= 0.2",
            "params": {"n_bins": 3},
        },
    ]
    scores_policy = {
        "name": "property",
        "data": {
            "sensitive": ["group"],
            "target": "outcome",
            "score": "p",
            "weight": "weight",
            "positive_label": "yes",
        },
        "fairness": {"n_boot": 20, "min_group_size": 1},
        "checks": checks,
    }
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'p.sqlite'}"
        _scores_table(url, frame)
        ours = audit("scores", scores_policy, url=url)
    same_values(ours, audit(frame, scores_policy))
