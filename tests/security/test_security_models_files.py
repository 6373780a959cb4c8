"""A model file is what its bytes say: damaged, mislabelled or odd files are one line, exit 2."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import joblib
import pytest
from hostile_models import LENDING, pickle_writing, rai, write_skops
from sklearn.linear_model import LogisticRegression

from responsible_ai.errors import InputError, UntrustedModelError
from responsible_ai.models import (
    MODEL_EMPTY,
    MODEL_IS_DIRECTORY,
    MODEL_NOT_FOUND,
    MODEL_NOT_REGULAR,
    NOT_A_MODEL,
    NOT_AN_ESTIMATOR,
    PICKLE_REFUSED,
    SKOPS_BAD_SCHEMA,
    SKOPS_DAMAGED,
    SKOPS_NO_SCHEMA,
    SKOPS_UNLOADABLE,
    UNKNOWN_SUFFIX,
    ZIP_NAMED_PICKLE,
    load_model,
    model_file_kind,
)
from responsible_ai.uploads import load_uploaded_model


@pytest.fixture(scope="module")
def fitted_bytes() -> bytes:
    import numpy as np
    import skops.io as sio

    rows = np.arange(40, dtype=float).reshape(20, 2)
    return sio.dumps(LogisticRegression().fit(rows, np.arange(20) % 2))


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _deep_schema() -> bytes:
    depth = 100_000
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def _flip_stored_byte(data: bytes) -> bytes:
    # the first entry is stored uncompressed: change a byte of its content, not of a header
    start = data.index(b"schema.json") + len(b"schema.json") + 5
    return data[:start] + bytes([data[start] ^ 0xFF]) + data[start + 1 :]


# (file name, content from the fitted model's bytes, message template, its fields)
BAD_FILES: list[tuple[str, Callable[[bytes], bytes], str, dict[str, str]]] = [
    ("model.skops", lambda ok: b"PK\x03\x04" + b"\x00" * 40, SKOPS_DAMAGED, {}),
    ("model.skops", lambda ok: ok[: len(ok) // 2], SKOPS_DAMAGED, {}),
    ("model.skops", lambda ok: _flip_stored_byte(ok), SKOPS_DAMAGED, {}),
    ("model.skops", lambda ok: _zip({"model.json": b"{}"}), SKOPS_NO_SCHEMA, {}),
    ("model.skops", lambda ok: _zip({"schema.json": b"not json"}), SKOPS_BAD_SCHEMA, {}),
    ("model.skops", lambda ok: _zip({"schema.json": b"[1, 2]"}), SKOPS_BAD_SCHEMA, {}),
    ("model.skops", lambda ok: _zip({"schema.json": _deep_schema()}), SKOPS_BAD_SCHEMA, {}),
    ("model.skops", lambda ok: _zip({"schema.json": b'{"protocol": 99}'}), SKOPS_UNLOADABLE, {}),
    ("model.skops", lambda ok: b"hello, I am a text file", NOT_A_MODEL, {}),
    ("model.pkl", lambda ok: b"not a pickle at all", NOT_A_MODEL, {}),
    ("model.pkl", lambda ok: ok, ZIP_NAMED_PICKLE, {"suffix": ".pkl"}),
    ("model.joblib", lambda ok: ok, ZIP_NAMED_PICKLE, {"suffix": ".joblib"}),
    ("model.onnx", lambda ok: ok, UNKNOWN_SUFFIX, {"suffix": ".onnx"}),
    ("model", lambda ok: ok, UNKNOWN_SUFFIX, {"suffix": "(none)"}),
    ("model.skops", lambda ok: b"", MODEL_EMPTY, {}),
]


def _expected(template: str, path: Path, fields: dict[str, str]) -> str:
    head = template.split("{reason}")[0].format(path=path, **fields)
    return "^" + re.escape(head) + (".*" if "{reason}" in template else "$")


@pytest.mark.parametrize(("name", "content", "template", "fields"), BAD_FILES)
@pytest.mark.parametrize("trust", [False, True])
def test_bad_file_is_one_line(
    root: Path,
    tmp_path: Path,
    fitted_bytes: bytes,
    name: str,
    content: Callable[[bytes], bytes],
    template: str,
    fields: dict[str, str],
    trust: bool,
) -> None:
    path = tmp_path / name
    path.write_bytes(content(fitted_bytes))
    with pytest.raises(InputError, match=_expected(template, path, fields)):
        load_model(path, trust_model=trust)
    flags = ["--trust-model"] if trust else []
    result = rai("check", "sample_data/german_credit.csv", "--policy", LENDING, "--model",
                 str(path), *flags, cwd=root)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert re.match(_expected(template, path, fields), result.stderr.removeprefix("rai: error: "))


def test_missing_directory_and_fifo(tmp_path: Path) -> None:
    missing = tmp_path / "missing.skops"
    with pytest.raises(InputError, match=f"^{re.escape(MODEL_NOT_FOUND.format(path=missing))}$"):
        load_model(missing)
    folder = tmp_path / "model.skops"
    folder.mkdir()
    with pytest.raises(InputError, match=f"^{re.escape(MODEL_IS_DIRECTORY.format(path=folder))}$"):
        load_model(folder)
    fifo = tmp_path / "fifo.skops"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=f"^{re.escape(MODEL_NOT_REGULAR.format(path=fifo))}$"):
        load_model(fifo)  # returns at once: a FIFO is never opened, so nothing blocks


def test_a_skops_file_that_is_no_model(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    import skops.io as sio

    sio.dump({"weights": [1, 2, 3]}, path)
    expected = NOT_AN_ESTIMATOR.format(path=path, kind="dict")
    with pytest.raises(InputError, match=f"^{re.escape(expected)}$"):
        load_model(path)


def test_content_decides_the_kind() -> None:
    assert model_file_kind(b"PK\x03\x04rest") == "skops"
    assert model_file_kind(b"PK\x05\x06") == "skops"  # an empty archive
    assert model_file_kind(b"\x80\x04\x95") == "pickle"
    assert model_file_kind(b"\x80\x04\x95", ".joblib") == "joblib"
    assert model_file_kind(b"\x78\x9c") == "joblib"  # zlib-compressed joblib
    assert model_file_kind(b"(dp0\n") == "unknown"  # protocol-0 pickles are not models here
    assert model_file_kind(b"") == "unknown"


def test_a_zip_behind_a_pickle_is_a_pickle(tmp_path: Path, fitted_bytes: bytes) -> None:
    # zipfile reads an archive from its end, so a pickle with a skops file appended still opens
    # as a zip; the first bytes decide, and they say pickle
    marker = tmp_path / "marker"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle_writing(marker) + fitted_bytes)
    assert zipfile.is_zipfile(path)
    expected = PICKLE_REFUSED.format(path=path, kind="pickle")
    with pytest.raises(UntrustedModelError, match=f"^{re.escape(expected)}$"):
        load_model(path)
    assert not marker.exists()


def test_compressed_joblib_needs_trust(tmp_path: Path) -> None:
    import numpy as np

    path = tmp_path / "model.joblib"
    model = LogisticRegression().fit(np.arange(20.0).reshape(10, 2), np.arange(10) % 2)
    joblib.dump(model, path, compress=3)
    expected = PICKLE_REFUSED.format(path=path, kind="joblib")
    with pytest.raises(UntrustedModelError, match=f"^{re.escape(expected)}$"):
        load_model(path)
    assert type(load_model(path, trust_model=True)) is LogisticRegression


def test_upload_damaged_skops_names_the_upload(fitted_bytes: bytes) -> None:
    with pytest.raises(InputError, match=r"^cannot read up\.skops as a skops file: the zip"):
        load_uploaded_model("up.skops", fitted_bytes[:100])
    schema = json.dumps({"protocol": 2, "__class__": "x"}).encode()
    with pytest.raises(InputError, match=r"^cannot load model up\.skops: "):
        load_uploaded_model("up.skops", _zip({"schema.json": schema}))


def test_hand_written_safe_file_loads(tmp_path: Path) -> None:
    tree = {"__class__": "LogisticRegression", "__module__": "sklearn.linear_model._logistic",
            "__loader__": "ObjectNode"}  # fmt: skip
    model = load_model(write_skops(tmp_path / "model.skops", tree))
    assert type(model) is LogisticRegression
