"""Read a data file (CSV, TSV, Parquet) or say in one line why it cannot be read.

Whoever supplies the data may hand over anything: a directory, a named pipe, an empty file,
binary junk, Latin-1 text, duplicate column names, Parquet list or struct columns. Each is refused
here with one message naming the file, the column or the byte, and the fix; nothing reaches the
metrics half-understood. The file is inspected with ``stat`` before it is opened, so a FIFO never
blocks the tool.
"""

from __future__ import annotations

import codecs
import os
import stat
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from responsible_ai.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TEXT_CODES_ATTR",
    "check_data_file",
    "check_parquet",
    "code_columns",
    "read_table",
    "refuse_binary",
    "refuse_nested_columns",
    "text_code_notes",
    "text_table_error",
]

TABLE_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}

NOT_FOUND = "data file not found: {path}"
IS_A_DIRECTORY = "data file {path} is a directory: give a CSV or Parquet file"
NOT_A_REGULAR_FILE = (
    "data file {path} is not a regular file but a {kind}: give a CSV or Parquet file"
)
BAD_SUFFIX = "cannot read {path}: expected a .csv, .tsv or .parquet file"
EMPTY_FILE = "data file {path} is empty (0 bytes): give a file with a header row and data rows"
NO_HEADER = "data file {path} has no header row: the first line must name the columns"
NO_ROWS = "data file {path} has no data rows (only column names); nothing to audit"
DUPLICATE_COLUMN = "data file {path} has the column {column!r} more than once: rename one of them"
NOT_UTF8 = (
    "data file {path} is not UTF-8 text (byte 0x{byte:02x} at offset {offset}): "
    "save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
)
BINARY = (
    "data file {path} holds binary data (a NUL byte at offset {offset}), not {kind} text: "
    "give a text CSV, or a Parquet file named .parquet"
)
NESTED_COLUMN = (
    "column {column!r} of {path} holds {what} ({type}), not one value per cell: flatten it into "
    "plain columns or drop it"
)
UNREADABLE = "cannot read {path} as {kind}: {reason}"
CANNOT_OPEN = "cannot read data file {path}: {reason}"

KEPT_AS_TEXT = (
    "column {column!r} kept as text: {why} (e.g. {example!r}); as numbers they would lose it"
)
LEADING_ZEROS = "its values are codes with leading zeros"
FIXED_WIDTH = "its values are fixed-width codes of {width} digits"

# Where read_table records the columns it kept as text, so that the audit can say so in a note.
TEXT_CODES_ATTR = "responsible_ai.text_codes"
# A ZIP code, a postcode or an account number; a year (4) or an age (2) stays a number.
_CODE_MIN_WIDTH = 5
_DIGITS = r"\d+"
_LEADING_ZERO = r"0\d+"
_BOUNDARY = np.zeros(256, dtype=bool)
_BOUNDARY[list(b',\t\r\n" ')] = True
_SCAN_BYTES = 1 << 24
_NUMBER = r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*|\s*[-+]?(?i:inf|infinity)\s*"

_SNIFF_BYTES = 1 << 16
_REASON_CHARS = 200


def check_data_file(path: str | os.PathLike[str]) -> Path:
    """Refuse a data path that is missing, a directory, a FIFO, device or socket, or empty.

    Uses ``stat`` only: nothing is opened, so a named pipe cannot block.
    """
    file = Path(path)
    try:
        info = os.stat(file)
    except FileNotFoundError:
        raise InputError(NOT_FOUND.format(path=file)) from None
    except OSError as exc:
        raise InputError(CANNOT_OPEN.format(path=file, reason=_reason(exc))) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(IS_A_DIRECTORY.format(path=file))
    if not stat.S_ISREG(info.st_mode):
        raise InputError(NOT_A_REGULAR_FILE.format(path=file, kind=_kind(info.st_mode)))
    if info.st_size == 0:
        raise InputError(EMPTY_FILE.format(path=file))
    return file


def read_table(path: str | os.PathLike[str], *, as_text: bool = False) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet file into a DataFrame.

    Parameters
    ----------
    path : path-like
        The file; its suffix says the format (.csv, .txt, .tsv, .parquet, .pq).
    as_text : bool, default False
        CSV/TSV only: keep every value as text (empty cells missing), as a release does so that
        ``02134`` stays ``"02134"``. Without it, columns of codes (leading zeros, or fixed-width
        digit strings; see :func:`code_columns`) are still kept as text, and named in
        ``frame.attrs[TEXT_CODES_ATTR]`` for the audit's data notes.

    Raises
    ------
    InputError
        One line naming the problem: not found, a directory or other non-regular file, empty,
        header only, duplicate column names, not UTF-8, binary, nested Parquet columns, or a
        parser error with its line.
    """
    file = Path(path)
    kind = TABLE_SUFFIXES.get(file.suffix.lower())
    check_data_file(file)
    if kind is None:
        raise InputError(BAD_SUFFIX.format(path=file))
    frame = _read_parquet(file) if kind == "parquet" else _read_text_table(file, kind, as_text)
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise InputError(DUPLICATE_COLUMN.format(path=file, column=str(duplicated[0])))
    if len(frame) == 0:
        raise InputError(NO_ROWS.format(path=file))
    return frame


def code_columns(text: pd.DataFrame, numeric: bool = False) -> dict[str, str]:
    """The columns of an all-text table that hold codes, not quantities, each with the reason.

    A code is a column that would be read as numbers where some value is digits with a leading
    zero (ZIP code ``02134``, id ``007``), or where every value has the same number of digits, at
    least five (``10080``). Read as numbers, ``02134`` would become ``2134``. Every reader of
    CSV text (the audit, the app's uploads, ``rai anonymize``) applies this rule. ``numeric``
    says that every column of ``text`` is known to read as numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> sorted(code_columns(pd.DataFrame({"zip": ["02134", "10080"], "age": ["31", "47"]})))
    ['zip']
    """
    found: dict[str, str] = {}
    for column in text.columns:
        values = text[column].dropna().astype(str)
        if values.empty:
            continue
        zeros = values.str.fullmatch(_LEADING_ZERO)
        widths = values.str.len()
        if zeros.any():
            if not numeric and not values.str.fullmatch(_NUMBER).all():
                continue  # text anyway: nothing is lost
            why, example = LEADING_ZEROS, values[zeros].iloc[0]
        elif (
            widths.min() == widths.max() >= _CODE_MIN_WIDTH and values.str.fullmatch(_DIGITS).all()
        ):
            why, example = FIXED_WIDTH.format(width=widths.iloc[0]), values.iloc[0]
        else:
            continue
        found[str(column)] = KEPT_AS_TEXT.format(column=str(column), why=why, example=example)
    return found


def text_code_notes(frame: pd.DataFrame) -> list[str]:
    """The data notes of the columns :func:`read_table` kept as text and still text in ``frame``
    (pandas carries ``attrs`` through copies, also of a frame whose columns were converted)."""
    import pandas as pd

    notes = frame.attrs.get(TEXT_CODES_ATTR)
    if not isinstance(notes, dict):
        return []
    return [
        str(note)
        for column, note in notes.items()
        if column in frame.columns and not pd.api.types.is_numeric_dtype(frame[column])
    ]


def _read_text_table(file: Path, kind: str, as_text: bool) -> pd.DataFrame:
    import pandas as pd

    refuse_binary(file, kind)
    sep = "\t" if kind == "tsv" else ","
    options: dict[str, Any] = {"sep": sep, "index_col": False}
    if as_text:
        options |= {"dtype": str, "keep_default_na": False, "na_values": [""]}
    else:
        options |= {"low_memory": False}
    try:
        with warnings.catch_warnings():
            # A row longer than the header would silently become an index: make it an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            header = pd.read_csv(
                file, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False
            )
            frame = pd.read_csv(file, **options)
    except (UnicodeDecodeError, pd.errors.ParserWarning, ValueError, OSError, MemoryError) as exc:
        raise text_table_error(file, kind, exc) from None
    names = [str(name) for name in header.iloc[0].tolist()] if len(header) else []
    seen: set[str] = set()
    for name in names:
        if name in seen and name:
            raise InputError(DUPLICATE_COLUMN.format(path=file, column=name))
        seen.add(name)
    return frame if as_text else _keep_codes(file, sep, kind, frame)


def _keep_codes(file: Path, sep: str, kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the numeric columns that hold codes read again as the text they are.

    Only candidates are read again, so that the quantities of a large file are not read twice:
    every numeric column when some field of the file starts with a zero and a digit, else only
    those whose whole numbers all have the same number of digits (five or more).
    """
    import pandas as pd

    numbers = [
        position
        for position, dtype in enumerate(frame.dtypes)
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    ]
    if numbers and not _has_leading_zero(file):
        numbers = [p for p in numbers if _one_width(frame.iloc[:, p])]
    if not numbers:
        return frame
    try:
        text = pd.read_csv(file, sep=sep, index_col=False, dtype=str, usecols=numbers)
    except (ValueError, OSError, MemoryError) as exc:
        reason = _reason(exc)
        raise InputError(UNREADABLE.format(path=file, kind=kind.upper(), reason=reason)) from None
    codes = code_columns(text, numeric=True)
    for column in codes:
        frame[column] = text[column]
    if codes:
        frame.attrs[TEXT_CODES_ATTR] = codes
    return frame


def _has_leading_zero(file: Path) -> bool:
    """Whether some field of the file may start with a zero followed by a digit (``02134``).

    Vectorized over the bytes: a regular expression takes seconds on a large file.
    """
    previous = b","
    with open(file, "rb") as handle:
        while chunk := handle.read(_SCAN_BYTES):
            data = np.frombuffer(previous + chunk + b",", dtype=np.uint8)
            zeros = np.flatnonzero(data[1:-1] == ord("0")) + 1
            before, after = data[zeros - 1], data[zeros + 1]
            if np.any(_BOUNDARY[before] & (after >= ord("0")) & (after <= ord("9"))):
                return True
            previous = chunk[-2:]
    return False


def _one_width(values: pd.Series) -> bool:
    """Whether whole, non-negative numbers all have the same number of digits, five or more."""
    low, high = values.min(), values.max()
    if not (low >= 10 ** (_CODE_MIN_WIDTH - 1) and np.isfinite(high)):
        return False  # NaN (all missing) fails the comparison
    if len(str(int(low))) != len(str(int(high))):
        return False
    present = values.dropna()
    return bool((present % 1 == 0).all())


def check_parquet(path: str | os.PathLike[str], columns: list[str] | None = None) -> Any:
    """Refuse a Parquet file that is not one, repeats a column name, holds nested values (in
    ``columns``, default all) or has no rows; its Arrow schema otherwise.

    Reads only the footer, so the streamed audit of a large file can call it too.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = check_data_file(path)
    try:
        metadata = pq.read_metadata(file)
        schema = metadata.schema.to_arrow_schema()
    except (pa.ArrowException, OSError, ValueError) as exc:
        reason = "not a Parquet file" if _head(file, 4) != b"PAR1" else _reason(exc)
        raise InputError(UNREADABLE.format(path=file, kind="Parquet", reason=reason)) from None
    names = list(schema.names)
    for name in names:
        if names.count(name) > 1:
            raise InputError(DUPLICATE_COLUMN.format(path=file, column=name))
    refuse_nested_columns(schema, file, columns)
    if metadata.num_rows == 0:
        raise InputError(NO_ROWS.format(path=file))
    return schema


def _read_parquet(file: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_parquet(file)
    try:
        table = pq.read_table(file)
        return table.to_pandas()
    except (pa.ArrowException, OSError, ValueError, TypeError, MemoryError) as exc:
        reason = _reason(exc)
        raise InputError(UNREADABLE.format(path=file, kind="Parquet", reason=reason)) from None


def refuse_nested_columns(schema: Any, file: Path, columns: list[str] | None = None) -> None:
    """Refuse Parquet list, struct, map and union columns (of ``columns``, default all)."""
    import pyarrow as pa

    for field in schema:
        if columns is not None and field.name not in columns:
            continue
        kind = field.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_nested(kind):
            if pa.types.is_struct(kind):
                what = "structs"
            elif pa.types.is_map(kind):
                what = "maps"
            elif pa.types.is_union(kind):
                what = "unions"
            else:
                what = "lists"
            raise InputError(
                NESTED_COLUMN.format(column=field.name, path=file, what=what, type=kind)
            )


def text_table_error(file: Path, kind: str, exc: BaseException) -> InputError:
    """What to say when pandas could not read the CSV or TSV ``file``: a byte that is not UTF-8
    (with its offset), no header, a row longer than the header, or pandas' own reason."""
    import pandas as pd

    if isinstance(exc, UnicodeDecodeError):
        offset, byte = _first_bad_utf8(file)
        return InputError(NOT_UTF8.format(path=file, byte=byte, offset=offset))
    if isinstance(exc, pd.errors.EmptyDataError):
        return InputError(NO_HEADER.format(path=file))
    if isinstance(exc, pd.errors.ParserWarning):
        reason = "a row has more fields than the header names"
    else:
        reason = _reason(exc)
    return InputError(UNREADABLE.format(path=file, kind=kind.upper(), reason=reason))


def refuse_binary(file: Path, kind: str) -> None:
    """Refuse a CSV or TSV ``file`` with a NUL byte near its start (a binary file)."""
    head = _head(file, _SNIFF_BYTES)
    offset = head.find(b"\x00")
    if offset >= 0:
        raise InputError(BINARY.format(path=file, offset=offset, kind=kind.upper()))


def _head(file: Path, size: int) -> bytes:
    try:
        with open(file, "rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise InputError(CANNOT_OPEN.format(path=file, reason=_reason(exc))) from None


def _first_bad_utf8(file: Path) -> tuple[int, int]:
    """The offset and value of the first byte that is not valid UTF-8 (read in chunks)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(file, "rb") as handle:
        while True:
            chunk = handle.read(1 << 20)
            pending = len(decoder.getstate()[0])  # bytes of a character cut by the last chunk
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start, exc.object[exc.start]
            if not chunk:
                return offset, 0
            offset += len(chunk)


def _reason(exc: BaseException) -> str:
    """An exception's message on one line, short."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror.lower()
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"
