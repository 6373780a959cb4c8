"""Attacks on the data file: whatever is given as DATA, the tool exits 2 with one line naming the
problem (never 3, never a traceback, never blocked on a pipe), or audits it (exit 0 or 1).

Hostile files are built in ``tmp_path``; Hypothesis throws random bytes, random CSV text and
small frames of odd dtypes at the table reader and at ``rai check``.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from responsible_ai import data_files as df
from responsible_ai.cli import main
from responsible_ai.errors import InputError
from responsible_ai.inputs import read_table

POLICY = """\
name: tiny
version: "1"
data:
  prediction: pred
  positive_label: 1
  sensitive: [group]
checks:
  - id: ratio
    metric: fairness.selection_rate_ratio
    must: ">= 0.8"
    severity: high
"""


def rai(*args: object) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return subprocess.CompletedProcess([str(a) for a in args], code, out.getvalue(), err.getvalue())


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0].removeprefix("rai: error: ")


@contextlib.contextmanager
def no_blocking(seconds: int = 20) -> Iterator[None]:
    """Fail (rather than hang the suite) if the code under test blocks, e.g. opening a FIFO."""

    def _timeout(signum: int, frame: object) -> None:
        raise TimeoutError("blocked: the data file was opened before it was checked")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("policy") / "tiny.yaml"
    path.write_text(POLICY)
    return path


def _bytes(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


def _parquet(table: pa.Table) -> Callable[[Path], None]:
    return lambda path: pq.write_table(table, path)


def _mkdir(path: Path) -> None:
    path.mkdir()


def _map_table() -> pa.Table:
    kind = pa.map_(pa.string(), pa.int64())
    return pa.table({"group": pa.array([[("k", 1)], [("j", 2)]], type=kind), "pred": [1, 0]})


FIRST_NUL = object()  # the offset of the file's first NUL byte, whatever pyarrow writes
DUPLICATE = pa.Table.from_arrays([pa.array(["a", "b"]), pa.array([1, 0])], names=["group", "group"])

# (file name, how to build it, the exact message, formatted with path=..., and its extra fields)
HOSTILE: list[tuple[str, Callable[[Path], None], str, dict[str, object]]] = [
    ("folder.csv", _mkdir, df.IS_A_DIRECTORY, {}),
    ("pipe.csv", os.mkfifo, df.NOT_A_REGULAR_FILE, {"kind": "named pipe (FIFO)"}),
    ("empty.csv", _bytes(b""), df.EMPTY_FILE, {}),
    ("blank.csv", _bytes(b"\n \n"), df.NO_HEADER, {}),
    ("header.csv", _bytes(b"group,pred\n"), df.NO_ROWS, {}),
    ("dup.csv", _bytes(b"group,pred,group\na,1,b\n"), df.DUPLICATE_COLUMN, {"column": "group"}),
    (
        "latin1.csv",
        _bytes("group,pred\nzoë,1\n".encode("latin-1")),
        df.NOT_UTF8,
        {"byte": 0xEB, "offset": 13},
    ),
    (
        "junk.csv",
        _bytes(b"group,pred\na,\x00\x01\x02\xff\n"),
        df.BINARY,
        {"offset": 13, "kind": "CSV"},
    ),
    (
        "ragged.csv",
        _bytes(b"group,pred\na,1,surplus\n"),
        df.UNREADABLE,
        {"kind": "CSV", "reason": "a row has more fields than the header names"},
    ),
    (
        "parquet.csv",
        _parquet(pa.table({"group": ["a"], "pred": [1]})),
        df.BINARY,
        {"offset": FIRST_NUL, "kind": "CSV"},
    ),
    (
        "text.parquet",
        _bytes(b"group,pred\na,1\n"),
        df.UNREADABLE,
        {"kind": "Parquet", "reason": "not a Parquet file"},
    ),
    (
        "lists.parquet",
        _parquet(pa.table({"group": [["a"], ["b"]], "pred": [1, 0]})),
        df.NESTED_COLUMN,
        {"column": "group", "what": "lists", "type": "list<element: string>"},
    ),
    (
        "structs.parquet",
        _parquet(pa.table({"group": [{"x": 1}, {"x": 2}], "pred": [1, 0]})),
        df.NESTED_COLUMN,
        {"column": "group", "what": "structs", "type": "struct<x: int64>"},
    ),
    (
        "maps.parquet",
        _parquet(_map_table()),
        df.NESTED_COLUMN,
        {"column": "group", "what": "maps", "type": "map<string, int64>"},
    ),
    ("dup.parquet", _parquet(DUPLICATE), df.DUPLICATE_COLUMN, {"column": "group"}),
    (
        "zero.parquet",
        _parquet(pa.table({"group": pa.array([], pa.string()), "pred": pa.array([], pa.int64())})),
        df.NO_ROWS,
        {},
    ),
]


@pytest.mark.parametrize(
    ("name", "build", "message", "fields"), HOSTILE, ids=[item[0] for item in HOSTILE]
)
def test_hostile_data_file_is_one_line_exit_2(
    tmp_path: Path,
    policy: Path,
    name: str,
    build: Callable[[Path], None],
    message: str,
    fields: dict[str, object],
) -> None:
    path = tmp_path / name
    build(path)
    if fields.get("offset") is FIRST_NUL:
        fields = {**fields, "offset": path.read_bytes().index(b"\x00")}
    expected = message.format(path=path, **fields)
    with no_blocking():
        result = rai("check", path, "--policy", policy)
        with pytest.raises(InputError) as raised:
            read_table(path)
    if name == "maps.parquet":  # pyarrow names the map's value field; compare the start only
        assert one_line_error(result).startswith(expected.split(" (")[0])
    else:
        assert one_line_error(result) == expected
        assert str(raised.value) == expected


@pytest.mark.parametrize("name", ["pipe.csv", "folder.csv", "header.csv", "latin1.csv", "dup.csv"])
def test_the_release_reader_refuses_the_same_way(tmp_path: Path, name: str) -> None:
    """``rai anonymize`` and ``rai identifiers`` read every column as text: same checks."""
    entry = next(item for item in HOSTILE if item[0] == name)
    path = tmp_path / name
    entry[1](path)
    with no_blocking():
        result = rai("identifiers", path)
    assert one_line_error(result) == entry[2].format(path=path, **entry[3])


def test_a_streamed_parquet_audit_refuses_a_nested_column_it_needs(
    tmp_path: Path, policy: Path
) -> None:
    """A prediction-only fairness policy on Parquet streams batches: the same refusal there."""
    path = tmp_path / "lists.parquet"
    pq.write_table(pa.table({"group": [["a"], ["b"]] * 10, "pred": [1, 0] * 10}), path)
    result = rai("check", path, "--policy", policy)
    assert one_line_error(result).startswith(f"column 'group' of {path} holds lists")


def test_a_data_path_with_escape_characters_is_shown_escaped(tmp_path: Path, policy: Path) -> None:
    path = tmp_path / "evil\x1b[2J.csv"
    result = rai("check", path, "--policy", policy)
    assert "\x1b" not in result.stderr
    assert one_line_error(result) == f"data file not found: {tmp_path}/evil\\x1b[2J.csv"


def test_good_files_still_read(tmp_path: Path) -> None:
    csv = tmp_path / "ok.csv"
    csv.write_bytes('\ufeffgroup,pred\nzoë,1\n"a,b",0\n'.encode())
    assert read_table(csv).to_dict("list") == {"group": ["zoë", "a,b"], "pred": [1, 0]}
    text = read_table(csv, as_text=True)
    assert text["pred"].tolist() == ["1", "0"]


# --- fuzzing -------------------------------------------------------------------------------------

# RAI_FUZZ_EXAMPLES=2000 for a longer hunt; the default keeps each property to a few seconds.
FUZZ = settings(
    max_examples=int(os.environ.get("RAI_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _outcome(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if result.returncode == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _read_or_refuse(path: Path) -> None:
    try:
        frame = read_table(path)
    except InputError as error:
        assert "\n" not in str(error)
        return
    assert len(frame) > 0 and not frame.columns.duplicated().any()


@FUZZ
@given(content=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".tsv", ".parquet"]))
def test_random_bytes(tmp_path: Path, policy: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    path.write_bytes(content)
    _read_or_refuse(path)
    _outcome(rai("check", path, "--policy", policy))


_CSV_ALPHABET = st.sampled_from([*'ab01,,"\n\r\t ;|.-e', "\x00", "\x1b", "é", "\ufeff", "\u202e"])


@FUZZ
@given(body=st.text(alphabet=_CSV_ALPHABET, max_size=200))
def test_random_csv_text(tmp_path: Path, policy: Path, body: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text("group,pred\n" + body, encoding="utf-8")
    _read_or_refuse(path)
    _outcome(rai("check", path, "--policy", policy))


_ODD_VALUES = {
    "text": st.text(max_size=8),
    "integers": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "floats": st.floats(allow_nan=True, allow_infinity=True),
    "booleans": st.booleans(),
    "none": st.none(),
    "dates": st.datetimes(),
    "bytes": st.binary(max_size=4),
}


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(min_value=1, max_value=30))
    kind = draw(st.sampled_from(sorted(_ODD_VALUES)))
    group = draw(st.lists(st.one_of(_ODD_VALUES[kind], st.none()), min_size=rows, max_size=rows))
    pred_kind = draw(st.sampled_from(["binary", "labels", "floats", "missing"]))
    if pred_kind == "binary":
        pred: list[object] = draw(st.lists(st.sampled_from([0, 1]), min_size=rows, max_size=rows))
    elif pred_kind == "labels":
        pred = draw(st.lists(st.sampled_from(["1", "x", "", "1.0"]), min_size=rows, max_size=rows))
    elif pred_kind == "floats":
        pred = draw(st.lists(st.floats(0, 1), min_size=rows, max_size=rows))
    else:
        pred = [None] * rows
    frame = pd.DataFrame({"group": pd.Series(group, dtype=object), "pred": pred})
    if draw(st.booleans()):
        frame["extra"] = pd.Categorical(draw(st.lists(st.sampled_from("xyz"), min_size=rows,
                                                      max_size=rows)))  # fmt: skip
    return frame


def _write(frame: pd.DataFrame, path: Path) -> bool:
    """Write as a user's tool would; False if pandas/pyarrow themselves cannot write it."""
    try:
        if path.suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
    except (pa.ArrowException, ValueError, TypeError, OverflowError, UnicodeEncodeError):
        return False
    return True


@FUZZ
@given(frame=frames(), suffix=st.sampled_from([".csv", ".parquet"]))
def test_random_frames_with_odd_dtypes(
    tmp_path: Path, policy: Path, frame: pd.DataFrame, suffix: str
) -> None:
    path = tmp_path / f"data{suffix}"
    if not _write(frame, path):
        return
    _read_or_refuse(path)
    _outcome(rai("check", path, "--policy", policy))
    _outcome(rai("check", path, "--policy", policy, "--positive-label", "x"))


def test_numpy_object_columns_survive_a_round_trip(tmp_path: Path, policy: Path) -> None:
    """A Parquet file of bytes group values (binary column) audits or is refused cleanly."""
    path = tmp_path / "bytes.parquet"
    frame = pd.DataFrame({"group": [b"\x00a", b"b"] * 10, "pred": np.tile([1, 0], 10)})
    frame.to_parquet(path, index=False)
    _outcome(rai("check", path, "--policy", policy))


def test_app_uploads_go_through_the_same_reader() -> None:
    from responsible_ai.uploads import read_uploaded_table

    buffer = io.BytesIO()
    pq.write_table(pa.table({"group": [["a"], ["b"]], "pred": [1, 0]}), buffer)
    with pytest.raises(InputError) as raised:
        read_uploaded_table("upload.parquet", buffer.getvalue())
    assert str(raised.value) == df.NESTED_COLUMN.format(
        column="group", path="upload.parquet", what="lists", type="list<element: string>"
    )
    with pytest.raises(InputError, match=r"^data file latin\.csv is not UTF-8 text \(byte 0xe9"):
        read_uploaded_table("latin.csv", "group,pred\né,1\n".encode("latin-1"))
