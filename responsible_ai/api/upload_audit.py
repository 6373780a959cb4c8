"""``POST /v1/runs`` as a form: audit data, a model and a policy on the server.

Every part of an :class:`~responsible_ai.api.upload_form.AuditForm` is bounded before it is
used: the table's rows, columns and (Parquet) expanded size from its header or metadata, the
policy through the bounded loader with ``extends`` kept to the shipped packs, and the model
through :func:`responsible_ai.models.load_model` without trust: pickles and unlisted skops types
are refused whatever the form says. The audit is the engine of ``rai check``
(:func:`responsible_ai.auditing.audit` on files), in a private temporary folder that is removed
whatever happens.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.api.upload_form import (
    MAX_FIELD_BYTES,
    POLICY_TOO_LARGE,
    AuditForm,
    UploadedFile,
    UploadRefused,
)
from responsible_ai.errors import InputError, PolicyError, UntrustedModelError

if TYPE_CHECKING:
    from responsible_ai.report.model import Report

__all__ = ["MAX_CELLS", "MAX_COLUMNS", "MAX_EXPANDED_BYTES", "MAX_ROWS", "audit_form"]

MAX_ROWS = 2_000_000
MAX_COLUMNS = 1_000
MAX_CELLS = 20_000_000  # rows x columns: what pandas may be asked to hold
#: What a Parquet file may expand to in memory (its uncompressed size): a small file whose
#: pages decompress to gigabytes is refused before it is read.
MAX_EXPANDED_BYTES = 1 << 30
DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")
MODEL_SUFFIX = ".skops"
#: The policy text is read as if it lay among the shipped packs: its ``extends`` may name a pack
#: and nothing else (no file of the server's, whatever path the text gives).
UPLOADED_POLICY = "uploaded-policy.yaml"
DATA_SUFFIX = "the data file {name} is not a data table: send a .csv, .tsv or .parquet file"
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
TOO_MANY_ROWS = "{name} has more than {limit} rows; send a sample of the rows"
TOO_MANY_COLUMNS = "{name} has {count} columns, more than {limit}; send only the columns audited"
TOO_MANY_CELLS = "{name} has {cells} cells (rows x columns), more than {limit}; send a sample"
EXPANDS_TOO_MUCH = (
    "{name} expands to {size} MB in memory, more than {limit} MB; send a sample of the rows"
)


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
        rows = max(content.count(b"\n"), content.count(b"\r"))  # either line ending
        ends = [at for at in (content.find(b"\n"), content.find(b"\r")) if at >= 0]
        first = content[: min(ends)] if ends else content
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
