"""``POST /v1/runs`` as a form: read the multipart body, bounded as it streams in.

Whoever calls the API may send anything: the body is counted as it arrives (a lying
``Content-Length`` changes nothing), each file is bounded, unknown or repeated fields are
refused, and every refusal is an :class:`UploadRefused` with its HTTP status and one line. What
is read is an :class:`AuditForm`; :mod:`responsible_ai.api.upload_audit` audits it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.datastructures import UploadFile

from responsible_ai.errors import InputError

if TYPE_CHECKING:
    from starlette.datastructures import FormData
    from starlette.requests import Request

__all__ = [
    "DEFAULT_MAX_UPLOAD_MB",
    "FORM_FIELDS",
    "AuditForm",
    "UploadLimits",
    "UploadRefused",
    "UploadedFile",
    "read_audit_form",
]

DEFAULT_MAX_UPLOAD_MB = 25
MAX_FIELD_BYTES = 512 * 1024  # policy_yaml as a plain field; larger than any real policy
MAX_FIELDS = 20
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
EMPTY_FILE = "{name} is empty (0 bytes); send the file again"
POLICY_TOO_LARGE = "policy_yaml is larger than {limit} bytes; a policy is a few kilobytes"
NOT_UTF8 = "{name} is not UTF-8 text; save it as UTF-8"
BAD_SEED = "seed must be a whole number; got {value!r}"
BAD_PROVENANCE = 'provenance must be a JSON object of strings, e.g. {{"commit": "9f1c"}}'


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
        return await _audit_form_of(form, limits)
    finally:
        await form.close()  # the spooled parts are anonymous temp files: closing removes them


async def _audit_form_of(form: FormData, limits: UploadLimits) -> AuditForm:
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
            if not isinstance(values[name], UploadFile):
                raise UploadRefused(NOT_A_FILE.format(name=name))
            files[name] = await _file(values.pop(name), limits)
    if "data" not in files:
        raise UploadRefused(NO_DATA)
    # The policy text is kept exactly (its SHA-256 is the run's); other fields are trimmed.
    policy_yaml = await _policy_yaml(values.pop("policy_yaml", ""))
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


async def _policy_yaml(value: Any) -> str:
    """The policy text, sent as a field or as a file (``curl -F policy_yaml=@lending.yaml``)."""
    if not isinstance(value, UploadFile):
        return str(value)
    content = await value.read(MAX_FIELD_BYTES + 1)
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
