"""Attacks on the server-side audit of ``POST /v1/runs`` (a multipart form of data, model and
policy): code in a model, a policy reading the server's files or building objects, uploads too
large for memory, forms that are not forms. Each is a 4xx with one line, never a 500; no code
runs (marker files), no run is stored, and the server's temp folder is left empty."""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_models import call, pickle_writing, python_writing, write_skops

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_helpers import Team, make_team

from responsible_ai.api import app as api
from responsible_ai.api import upload_audit as ua
from responsible_ai.api import upload_form as uf
from responsible_ai.datasets import sample_data_dir
from responsible_ai.store import ReviewStore

GERMAN = sample_data_dir() / "german_credit.csv"
ROLES = {"prediction": "credit", "positive_label": "good", "sensitive": "sex"}


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from responsible_ai.store import identity

    monkeypatch.setattr(
        identity, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture
def team(tmp_path, monkeypatch) -> Team:
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    for name in ("RAI_STORE_URL", "RAI_STORE_KEY", "RAI_STORE_KEY_FILE", "RAI_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # whatever the server's environment says, the API never trusts an uploaded pickle
    monkeypatch.setenv("RAI_TRUST_UPLOADED_MODELS", "1")
    return make_team(tmp_path)


@pytest.fixture
def server_tmp(tmp_path, monkeypatch) -> Path:
    import tempfile

    folder = tmp_path / "server-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def client(team, server_tmp) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    app = api.create_app(team.url, max_upload_mb=1)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "code-ran"


def _german_bytes() -> bytes:
    return GERMAN.read_bytes()


def _refused(answer: Any, status: int, message: str, team: Team, server_tmp: Path) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json() == {"detail": message}
    assert "\n" not in message and "Traceback" not in answer.text
    with ReviewStore(team.url) as store:
        assert store.runs().empty  # nothing stored
    assert list(server_tmp.iterdir()) == []  # nothing left behind


def _post(client: Any, team: Team, files: Any, data: dict[str, str]) -> Any:
    return client.post("/v1/runs", files=files, data=data, headers=team.auth("ci"))


def _with_model(name: str, content: bytes) -> dict[str, Any]:
    return {
        "data": ("german_credit.csv", _german_bytes(), "text/csv"),
        "model": (name, content, "application/octet-stream"),
    }


@pytest.mark.parametrize("name", ["model.skops", "model.pkl"])
def test_a_pickle_model_is_refused_and_never_loaded(client, team, server_tmp, marker, name):
    answer = _post(
        client,
        team,
        _with_model(name, pickle_writing(marker)),
        {"policy": "eeoc-four-fifths", "target": "credit"},
    )
    if name.endswith(".pkl"):
        message = ua.MODEL_SUFFIX_REFUSED.format(name=name)
    else:
        message = ua.MODEL_REFUSED.format(name=name, reason="it is a pickle file")
    _refused(answer, 422, message, team, server_tmp)
    assert not marker.exists()


def test_a_skops_model_naming_an_unlisted_type_is_refused(
    client, team, server_tmp, marker, tmp_path
):
    hostile = write_skops(tmp_path / "evil.skops", call("builtins", "exec", python_writing(marker)))
    answer = _post(
        client,
        team,
        _with_model("evil.skops", hostile.read_bytes()),
        {"policy": "eeoc-four-fifths", "target": "credit"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith(
        "the model evil.skops was refused (evil.skops holds types"
    )
    assert "builtins.exec" in answer.json()["detail"]
    _refused(answer, 422, answer.json()["detail"], team, server_tmp)
    assert not marker.exists()


def test_an_oversized_file_is_413(client, team, server_tmp):
    big = _german_bytes() * 7  # > 1 MB, the limit this server was started with
    answer = _post(
        client,
        team,
        {"data": ("big.csv", big, "text/csv")},
        {"policy": "eeoc-four-fifths", **ROLES},
    )
    _refused(answer, 413, uf.FILE_TOO_LARGE.format(name="big.csv", limit_mb=1), team, server_tmp)


def test_an_oversized_request_is_413_whatever_content_length_claims(client, team, server_tmp):
    body = b"--x\r\n" + b'Content-Disposition: form-data; name="data"; filename="a.csv"\r\n\r\n'
    body += b"a,b\n" * 900_000 + b"\r\n--x--\r\n"  # 3.6 MB, over the 3 MB of the whole form
    headers = {**team.auth("ci"), "Content-Type": "multipart/form-data; boundary=x"}
    answer = client.post("/v1/runs", content=iter([body]), headers=headers)  # streamed: no length
    _refused(answer, 413, uf.TOO_LARGE.format(limit_mb=3), team, server_tmp)


@pytest.mark.parametrize(
    "target", ["/etc/passwd", "../../../../etc/passwd", "../eeoc-four-fifths.yaml"]
)
def test_a_policy_cannot_extend_a_server_file(client, team, server_tmp, target):
    text = f"name: p\nversion: '1'\nextends: {target}\n"
    answer = _post(
        client,
        team,
        {"data": ("german_credit.csv", _german_bytes(), "text/csv")},
        {"policy_yaml": text, **ROLES},
    )
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith("policy invalid: policy_yaml:3: extends:") and "outside" in detail
    assert "root:" not in detail  # nothing of /etc/passwd
    _refused(answer, 422, detail, team, server_tmp)


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "../policies/eeoc-four-fifths", "eeoc-four-fifths/../x"]
)
def test_a_pack_name_is_a_name_not_a_path(client, team, server_tmp, name):
    answer = _post(
        client,
        team,
        {"data": ("german_credit.csv", _german_bytes(), "text/csv")},
        {"policy": name, **ROLES},
    )
    from responsible_ai.policy.packs import pack_names

    message = ua.NO_SUCH_PACK.format(name=name, packs=", ".join(pack_names()))
    _refused(answer, 422, message, team, server_tmp)


def test_yaml_tags_build_no_objects(client, team, server_tmp, marker):
    text = (
        "name: p\nversion: '1'\n"
        f'seed: !!python/object/apply:os.system ["touch {marker}"]\n'
        "checks:\n  - id: x\n    metric: fairness.selection_rate_ratio\n"
        "    by: sex\n    must: '>= 0.8'\n"
    )
    answer = _post(
        client,
        team,
        {"data": ("german_credit.csv", _german_bytes(), "text/csv")},
        {"policy_yaml": text, **ROLES},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith("policy invalid: policy_yaml:3")
    _refused(answer, 422, answer.json()["detail"], team, server_tmp)
    assert not marker.exists()


def test_a_csv_of_a_million_columns_is_refused_before_it_is_parsed(client, team, server_tmp):
    wide = b",".join(b"c%d" % i for i in range(50_000)) + b"\n" + b"1," * 49_999 + b"1\n"
    answer = _post(
        client,
        team,
        {"data": ("wide.csv", wide, "text/csv")},
        {"policy": "eeoc-four-fifths", **ROLES},
    )
    message = ua.TOO_MANY_COLUMNS.format(name="wide.csv", count=50_000, limit=ua.MAX_COLUMNS)
    _refused(answer, 413, message, team, server_tmp)


def test_a_compressed_csv_is_refused_as_binary(client, team, server_tmp):
    bomb = gzip.compress(b"sex,credit\n" + b"male,good\n" * 2_000_000)  # 20 MB in 30 kB
    answer = _post(
        client,
        team,
        {"data": ("bomb.csv", bomb, "text/csv")},
        {"policy": "eeoc-four-fifths", **ROLES},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith("data file bomb.csv ")
    _refused(answer, 422, answer.json()["detail"], team, server_tmp)


def test_a_parquet_file_of_too_many_rows_is_refused_before_it_is_read(client, team, server_tmp):
    import pandas as pd

    buffer = io.BytesIO()
    rows = ua.MAX_ROWS + 1
    pd.DataFrame({"sex": ["male"] * rows, "credit": ["good"] * rows}).to_parquet(buffer)
    assert len(buffer.getvalue()) < 100_000  # small on the wire
    files = {"data": ("bomb.parquet", buffer.getvalue(), "application/octet-stream")}
    answer = _post(client, team, files, {"policy": "eeoc-four-fifths", **ROLES})
    message = ua.TOO_MANY_ROWS.format(name="bomb.parquet", limit=ua.MAX_ROWS)
    _refused(answer, 413, message, team, server_tmp)


def test_a_parquet_file_expanding_past_the_bound_is_refused(client, team, server_tmp, monkeypatch):
    import pandas as pd

    monkeypatch.setattr(ua, "MAX_EXPANDED_BYTES", 4 << 20)
    names = [f"{'a' * 200}{i}" for i in range(50_000)]  # 10 MB of text, zstd makes it small
    buffer = io.BytesIO()
    pd.DataFrame({"sex": names, "credit": ["good"] * len(names)}).to_parquet(
        buffer, compression="zstd"
    )
    assert len(buffer.getvalue()) < 1 << 20
    files = {"data": ("bomb.parquet", buffer.getvalue(), "application/octet-stream")}
    answer = _post(client, team, files, {"policy": "eeoc-four-fifths", **ROLES})
    assert answer.status_code == 413, answer.text
    assert answer.json()["detail"].startswith("bomb.parquet expands to ")
    _refused(answer, 413, answer.json()["detail"], team, server_tmp)


def test_wrong_content_type_is_415(client, team, server_tmp):
    headers = {**team.auth("ci"), "Content-Type": "text/csv"}
    answer = client.post("/v1/runs", content=_german_bytes(), headers=headers)
    _refused(answer, 415, uf.NOT_A_FORM.format(content_type="text/csv"), team, server_tmp)


def test_data_sent_as_a_text_field_is_422(client, team, server_tmp):
    answer = _post(
        client,
        team,
        {"data": (None, "sex,credit\nmale,good\n")},
        {"policy": "eeoc-four-fifths"},
    )
    _refused(answer, 422, uf.NOT_A_FILE.format(name="data"), team, server_tmp)


def test_an_unknown_field_is_422(client, team, server_tmp):
    answer = _post(
        client,
        team,
        {"data": ("german_credit.csv", _german_bytes(), "text/csv")},
        {"policy": "eeoc-four-fifths", "trust_model": "1"},
    )
    message = uf.UNKNOWN_FIELD.format(name="trust_model", fields=", ".join(uf.FORM_FIELDS))
    _refused(answer, 422, message, team, server_tmp)


def test_role_names_not_in_the_data_are_422(client, team, server_tmp):
    answer = _post(
        client,
        team,
        {"data": ("german_credit.csv", _german_bytes(), "text/csv")},
        {
            "policy": "eeoc-four-fifths",
            "prediction": "credit",
            "positive_label": "good",
            "sensitive": "<script>race</script>",
        },
    )
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith("sensitive column '<script>race</script>' is not in the data")
    assert str(server_tmp) not in detail
    _refused(answer, 422, detail, team, server_tmp)


def test_rows_ended_by_carriage_returns_count_too(client, team, server_tmp, monkeypatch):
    monkeypatch.setattr(ua, "MAX_ROWS", 1_000)
    old_mac = b"sex,credit\r" + b"male,good\r" * 2_000
    files = {"data": ("old-mac.csv", old_mac, "text/csv")}
    answer = _post(client, team, files, {"policy": "eeoc-four-fifths", **ROLES})
    _refused(
        answer, 413, ua.TOO_MANY_ROWS.format(name="old-mac.csv", limit=1_000), team, server_tmp
    )


def test_a_file_name_cannot_leave_the_temp_folder(client, team, server_tmp, tmp_path):
    files = {"data": ("../../../escaped.csv", _german_bytes(), "text/csv")}
    answer = _post(client, team, files, {"policy": "eeoc-four-fifths", **ROLES})
    assert answer.status_code == 201, answer.text
    # server_tmp/rai-api-*/../../../ is the parent of tmp_path
    assert (
        not list(tmp_path.rglob("escaped.csv")) and not (tmp_path.parent / "escaped.csv").exists()
    )
    with ReviewStore(team.url) as store:
        assert store.report(answer.json()["id"]).inputs["data"]["path"] == "escaped.csv"
    assert list(server_tmp.iterdir()) == []
