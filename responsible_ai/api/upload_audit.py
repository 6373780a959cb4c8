"""``POST /v1/runs`` as a form: data, a model and a policy, audited on the server.

Whoever calls the API may send anything, so every part is bounded before it is used: the body as
it streams in (a lying ``Content-Length`` changes nothing), each file, the table's rows, columns
and (Parquet) expanded size, the policy through the bounded loader with ``extends`` kept to the
shipped packs, and the model through :func:`responsible_ai.models.load_model` without trust:
pickles and unlisted skops types are refused whatever the form says. The audit is the engine of
``rai check`` (:func:`responsible_ai.auditing.audit` on files), run in a private temporary
folder that is removed whatever happens.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError, PolicyError, UntrustedModelError

if TYPE_CHECKING:
    from starlette.datastructures import FormData, UploadFile
    from starlette.requests import Request

    from responsible_ai.report.model import Report

__all__ = [
    "DEFAULT_MAX_UPLOAD_MB",
    "FORM_FIELDS",
    "AuditForm",
    "UploadLimits",
    "UploadRefused",
    "audit_form",
    "read_audit_form",
]

DEFAULT_MAX_UPLOAD_MB = 25
MAX_ROWS = 2_000_000
MAX_COLUMNS = 1_000
MAX_CELLS = 20_000_000  # rows x columns: what pandas may be asked to hold
#: What a Parquet file may expand to in memory (its uncompressed size): a small file whose
#: pages decompress to gigabytes is refused before it is read.
MAX_EXPANDED_BYTES = 1 << 30
MAX_FIELD_BYTES = 512 * 1024  # policy_yaml as a plain field; larger than any real policy
MAX_FIELDS = 20
DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")
MODEL_SUFFIX = ".skops"
#: The policy text is read as if it lay among the shipped packs: its ``extends`` may name a pack
#: and nothing else (no file of the server's, whatever path the text gives).
UPLOADED_POLICY = "uploaded-policy.yaml"
ROLE_FIELDS = ("prediction", "target", "score", "sensitive", "positive_label")
FORM_FIELDS = {
    "data": "the data file (.csv, .tsv or .parquet), required",
    "model": "a .skops model file (optional; pickles are refused)",
    "policy": "a shipped policy pack by name, e.g. eeoc-four-fifths (or give policy_yaml)",
    "policy_yaml": "the policy's YAML text; extends may name shipped packs only",
    "prediction": "column holding the decisions (as rai check --prediction)",
    "target": "column holding the true outcome (--target)",
    "score": "column holding predicted probabilities (--score)",
    "sensitive": "sensitive columns, comma-separated (--sensitive)",
    "positive_label": "the favourable outcome (--positive-label)",
    "seed": "override the policy's seed (--seed)",
    "label": "what a reviewer calls this run",
    "provenance": 'a JSON object of strings, e.g. {"commit": "9f1c", "branch": "main"}',
}

NOT_A_FORM = (
    "the request is {content_type}: send a report as application/json, or data, model and "
    "policy as multipart/form-data (docs/service.md)"
)
TOO_LARGE = (
    "the upload is larger than {limit_mb} MB in all; send a sample of the rows (the server's "
    "limit is rai serve --max-upload-mb)"
)
FILE_TOO_LARGE = (
    "{name} is larger than {limit_mb} MB; send a sample of the rows (the server's limit is rai "
    "serve --max-upload-mb)"
)
BAD_FORM = (
    "the form cannot be read ({reason}); send multipart/form-data with the fields of "
    "docs/service.md"
)
UNKNOWN_FIELD = "unknown form field {name!r}; the fields are: {fields}"
REPEATED_FIELD = "the form field {name!r} is given more than once; give it once"
NO_DATA = "the form has no data file: add the field data (a .csv, .tsv or .parquet file)"
NOT_A_FILE = "the form field {name} must be a file upload, not text"
NOT_TEXT = "the form field {name} must be text, not a file"
DATA_SUFFIX = "the data file {name} is not a data table: send a .csv, .tsv or .parquet file"
EMPTY_FILE = "{name} is empty (0 bytes); send the file again"
MODEL_SUFFIX_REFUSED = (
    "the model file {name} is not a .skops file: save the model with skops.io.dump and send "
    "the .skops file (the API never loads pickles)"
)
MODEL_REFUSED = (
    "the model {name} was refused ({reason}): the API loads only .skops models of allowlisted "
    "types and never trusts others, whatever the request asks; save it with skops.io.dump, or "
    "audit it locally with rai check --trust-model"
)
ONE_POLICY = "give the policy once: policy (a shipped pack name) or policy_yaml (its text)"
NO_SUCH_PACK = "no shipped policy pack {name!r}; the packs are: {packs} (or send policy_yaml)"
POLICY_TOO_LARGE = "policy_yaml is larger than {limit} bytes; a policy is a few kilobytes"
NOT_UTF8 = "{name} is not UTF-8 text; save it as UTF-8"
BAD_SEED = "seed must be a whole number; got {value!r}"
BAD_PROVENANCE = 'provenance must be a JSON object of strings, e.g. {{"commit": "9f1c"}}'
TOO_MANY_ROWS = "{name} has more than {limit} rows; send a sample of the rows"
TOO_MANY_COLUMNS = "{name} has {count} columns, more than {limit}; send only the columns audited"
TOO_MANY_CELLS = "{name} has {cells} cells (rows x columns), more than {limit}; send a sample"
EXPANDS_TOO_MUCH = (
    "{name} expands to {size} MB in memory, more than {limit} MB; send a sample of the rows"
)


class UploadRefused(InputError):
    """A form the server will not audit; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadLimits:
    """Bytes allowed per file and for the whole request (``rai serve --max-upload-mb``)."""

    per_file: int
    total: int

    @classmethod
    def of_megabytes(cls, megabytes: int) -> UploadLimits:
        """Each file at most ``megabytes``; the request at most twice that (data and model)
        plus a megabyte for the fields."""
        per_file = megabytes * 1024 * 1024
        return cls(per_file=per_file, total=2 * per_file + 1024 * 1024)


@dataclass
class UploadedFile:
    name: str  # the client's file name, reduced to a safe base name
    content: bytes


@dataclass
class AuditForm:
    """A form as read: its files, the policy and the role fields, not yet checked further."""

    data: UploadedFile
    model: UploadedFile | None = None
    policy: str | None = None
    policy_yaml: str | None = None
    roles: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    label: str = ""
    provenance: dict[str, str] = field(default_factory=dict)


def _safe_name(name: str | None, fallback: str) -> str:
    """The base name of a client's file name, reduced to characters every output can show."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name or "").name).strip("._")[:100]
    return base or fallback


def _megabytes(size: int) -> int:
    return max(1, size // (1024 * 1024))


async def _bounded(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UploadRefused(TOO_LARGE.format(limit_mb=_megabytes(limit)), 413)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise UploadRefused(TOO_LARGE.format(limit_mb=_megabytes(limit)), 413)
        yield chunk


async def _file(part: UploadFile, limits: UploadLimits) -> UploadedFile:
    name = _safe_name(part.filename, "upload")
    content = await part.read(limits.per_file + 1)
    if len(content) > limits.per_file:
        raise UploadRefused(
            FILE_TOO_LARGE.format(name=name, limit_mb=_megabytes(limits.per_file)), 413
        )
    if not content:
        raise UploadRefused(EMPTY_FILE.format(name=name))
    return UploadedFile(name, content)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise UploadRefused(NOT_TEXT.format(name=name))
    return value


async def read_audit_form(request: Request, limits: UploadLimits) -> AuditForm:
    """Read the multipart form of a server-side audit, bounded as it streams in.

    Raises
    ------
    UploadRefused
        415 not a form, 413 too large, 400 unreadable, 422 a field that cannot be used.
    """
    from starlette.datastructures import UploadFile
    from starlette.formparsers import MultiPartException, MultiPartParser

    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        shown = content_type.split(";")[0].strip() or "without a Content-Type"
        raise UploadRefused(NOT_A_FORM.format(content_type=shown), 415)
    parser = MultiPartParser(
        request.headers,
        _bounded(request, limits.total),
        max_files=3,  # data, model, and the policy sent as a file
        max_fields=MAX_FIELDS,
        max_part_size=MAX_FIELD_BYTES,
    )
    try:
        form: FormData = await parser.parse()
    except MultiPartException as exc:
        raise UploadRefused(BAD_FORM.format(reason=exc.message), 400) from None
    try:
        return await _audit_form_of(form, limits, UploadFile)
    finally:
        await form.close()  # the spooled parts are anonymous temp files: closing removes them


async def _audit_form_of(form: FormData, limits: UploadLimits, upload: type) -> AuditForm:
    values: dict[str, Any] = {}
    for name, value in form.multi_items():
        if name not in FORM_FIELDS:
            raise UploadRefused(UNKNOWN_FIELD.format(name=name[:40], fields=", ".join(FORM_FIELDS)))
        if name in values:
            raise UploadRefused(REPEATED_FIELD.format(name=name))
        values[name] = value
    files: dict[str, UploadedFile] = {}
    for name in ("data", "model"):
        if name in values:
            if not isinstance(values[name], upload):
                raise UploadRefused(NOT_A_FILE.format(name=name))
            files[name] = await _file(values.pop(name), limits)
    if "data" not in files:
        raise UploadRefused(NO_DATA)
    # The policy text is kept exactly (its SHA-256 is the run's); other fields are trimmed.
    policy_yaml = await _policy_yaml(values.pop("policy_yaml", ""), upload)
    texts = {name: _text(value, name).strip() for name, value in values.items()}
    seed = texts.pop("seed", "") or None
    if seed is not None and not re.fullmatch(r"-?\d{1,18}", seed):
        raise UploadRefused(BAD_SEED.format(value=seed[:40]))
    return AuditForm(
        data=files["data"],
        model=files.get("model"),
        policy=texts.pop("policy", "") or None,
        policy_yaml=policy_yaml if policy_yaml.strip() else None,
        roles={name: texts[name] for name in ROLE_FIELDS if texts.get(name)},
        seed=None if seed is None else int(seed),
        label=texts.get("label", "")[:200],
        provenance=_provenance(texts.get("provenance", "")),
    )


async def _policy_yaml(value: Any, upload: type) -> str:
    """The policy text, sent as a field or as a file (``curl -F policy_yaml=@lending.yaml``)."""
    if not isinstance(value, upload):
        return str(value)
    part: UploadFile = value
    content = await part.read(MAX_FIELD_BYTES + 1)
    if len(content) > MAX_FIELD_BYTES:
        raise UploadRefused(POLICY_TOO_LARGE.format(limit=MAX_FIELD_BYTES), 413)
    try:
        return str(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise UploadRefused(NOT_UTF8.format(name="policy_yaml")) from None


def _provenance(text: str) -> dict[str, str]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise UploadRefused(BAD_PROVENANCE) from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise UploadRefused(BAD_PROVENANCE)
    return value


# -- the audit (in a worker thread) --------------------------------------------------------


def _check_table_size(path: Path, name: str) -> None:
    """Rows, columns and (Parquet) expanded size within bounds, from the file's header and
    metadata only: nothing big is parsed before this passes."""
    if path.suffix in (".parquet", ".pq"):
        from responsible_ai.data_files import check_parquet

        try:
            schema = check_parquet(path)
            import pyarrow.parquet as pq

            metadata = pq.ParquetFile(path).metadata
        except InputError as exc:
            raise UploadRefused(str(exc).replace(str(path), name)) from None
        except Exception as exc:  # pyarrow's errors share no base class
            raise UploadRefused(f"cannot read {name} as Parquet: {type(exc).__name__}") from None
        rows, columns = metadata.num_rows, len(schema.names)
        expanded = sum(
            metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
        )
        if expanded > MAX_EXPANDED_BYTES:
            raise UploadRefused(
                EXPANDS_TOO_MUCH.format(
                    name=name, size=expanded // 2**20, limit=MAX_EXPANDED_BYTES // 2**20
                ),
                413,
            )
    else:
        content = path.read_bytes()
        rows = content.count(b"\n")
        first = content.split(b"\n", 1)[0]
        columns = first.count(b"\t" if path.suffix == ".tsv" else b",") + 1
    if columns > MAX_COLUMNS:
        raise UploadRefused(
            TOO_MANY_COLUMNS.format(name=name, count=columns, limit=MAX_COLUMNS), 413
        )
    if rows > MAX_ROWS:
        raise UploadRefused(TOO_MANY_ROWS.format(name=name, limit=MAX_ROWS), 413)
    if rows * columns > MAX_CELLS:
        raise UploadRefused(
            TOO_MANY_CELLS.format(name=name, cells=rows * columns, limit=MAX_CELLS), 413
        )


def _policy(form: AuditForm) -> Any:
    """The loaded policy: a shipped pack, or the text read as if it lay among the packs."""
    from responsible_ai.policy.loader import load_policy
    from responsible_ai.policy.packs import pack_names
    from responsible_ai.resources import shipped_policies_dir

    if (form.policy is None) == (form.policy_yaml is None):
        raise UploadRefused(ONE_POLICY)
    if form.policy is not None:
        name = form.policy.removesuffix(".yaml")
        if name not in pack_names():  # a name, never a path of the server's
            packs = ", ".join(pack_names())
            raise UploadRefused(NO_SUCH_PACK.format(name=form.policy[:80], packs=packs))
        return load_policy(name)
    text = form.policy_yaml or ""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FIELD_BYTES:
        raise UploadRefused(POLICY_TOO_LARGE.format(limit=MAX_FIELD_BYTES))
    return load_policy(shipped_policies_dir() / UPLOADED_POLICY, text=text)


def _model_path(model: UploadedFile, folder: Path) -> Path:
    from responsible_ai.models import model_file_kind

    if Path(model.name).suffix.lower() != MODEL_SUFFIX:
        raise UploadRefused(MODEL_SUFFIX_REFUSED.format(name=model.name))
    kind = model_file_kind(model.content[:8], MODEL_SUFFIX)
    if kind != "skops":
        raise UploadRefused(MODEL_REFUSED.format(name=model.name, reason=f"it is a {kind} file"))
    path = folder / model.name
    path.write_bytes(model.content)  # a private temp folder, removed after the audit
    return path


def _policy_text(report: Report, form: AuditForm) -> dict[str, str]:
    from responsible_ai.store.submit import policy_texts

    if form.policy_yaml is None:
        return policy_texts(report)
    from dataclasses import replace

    files = list(report.policy.get("files") or [])
    bases = replace(report, policy={**report.policy, "files": files[1:]})
    return {UPLOADED_POLICY: form.policy_yaml, **policy_texts(bases)}


def _as_submitted(report: Report, form: AuditForm, folder: Path) -> Report:
    """The report naming the client's files, not the server's temporary folder or install."""
    from dataclasses import replace

    from responsible_ai.resources import shipped_policies_dir

    inputs = json.loads(json.dumps(report.inputs, default=str))
    for key, given in (("data", form.data), ("model", form.model)):
        if given is not None and isinstance(inputs.get(key), dict):
            inputs[key]["path"] = given.name
    policy = dict(report.policy)
    if form.policy_yaml is not None:
        uploaded = str(shipped_policies_dir() / UPLOADED_POLICY)
        if isinstance(inputs.get("policy"), dict):
            inputs["policy"]["path"] = UPLOADED_POLICY
        policy["files"] = [
            {**item, "path": UPLOADED_POLICY} if str(item.get("path")) == uploaded else item
            for item in policy.get("files") or []
        ]
    return replace(report, inputs=inputs, policy=policy)


def _shown(message: str, folder: Path, form: AuditForm) -> str:
    """An error message without the server's paths: the client's file names instead."""
    from responsible_ai.resources import shipped_policies_dir

    message = message.replace(str(shipped_policies_dir() / UPLOADED_POLICY), "policy_yaml")
    message = message.replace(str(shipped_policies_dir()) + "/", "")
    return message.replace(str(folder) + "/", "")


def audit_form(form: AuditForm) -> tuple[Report, dict[str, str]]:
    """Audit a form with the engine of ``rai check``; returns the report and the policy text.

    Raises
    ------
    UploadRefused
        Anything about the upload that cannot be audited, in one line (422 or 413).
    """
    from responsible_ai.auditing import audit
    from responsible_ai.cliutils import csv_list, label_from_text

    with tempfile.TemporaryDirectory(prefix="rai-api-") as directory:
        folder = Path(directory)
        try:
            if Path(form.data.name).suffix.lower() not in DATA_SUFFIXES:
                raise UploadRefused(DATA_SUFFIX.format(name=form.data.name))
            data = folder / form.data.name
            data.write_bytes(form.data.content)  # a private temp folder, removed below
            _check_table_size(data, form.data.name)
            loaded = _policy(form)
            model = None if form.model is None else _model_path(form.model, folder)
            roles: dict[str, Any] = dict(form.roles)
            if "sensitive" in roles:
                roles["sensitive"] = csv_list(roles["sensitive"])
            if "positive_label" in roles:
                roles["positive_label"] = label_from_text(roles["positive_label"])
            report = audit(data, loaded, model=model, trust_model=False, seed=form.seed, **roles)
            return _as_submitted(report, form, folder), _policy_text(report, form)
        except UploadRefused as exc:
            raise UploadRefused(_shown(str(exc), folder, form), exc.status) from None
        except UntrustedModelError as exc:
            reason = _shown(str(exc), folder, form).split(";")[0]
            name = form.model.name if form.model else "model"
            raise UploadRefused(MODEL_REFUSED.format(name=name, reason=reason)) from None
        except PolicyError as exc:
            count = len(exc.issues)
            head = (
                f"policy invalid ({count} problems, the first): "
                if count > 1
                else "policy invalid: "
            )
            raise UploadRefused(_shown(head + str(exc.issues[0]), folder, form)) from None
        except (InputError, UnicodeDecodeError) as exc:
            raise UploadRefused(_shown(str(exc), folder, form)) from None
