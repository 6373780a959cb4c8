"""``rai anonymize`` (and ``rai identifiers``): release data only when the policy's checks pass.

Standard library only at the top, so that ``rai --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_commands"]

EXIT_PASS, EXIT_FAIL = 0, 1
OUTPUT_SUFFIXES = (".csv", ".parquet", ".pq")
BAD_OUTPUT = "cannot write {path}: the output must end in .csv or .parquet"
SAME_OUTPUTS = "--report {path} is also the --output; give the report another file name"
NO_CHECKS = (
    "policy {name!r} has no enabled checks, so nothing would show the release is safe; add "
    "checks such as privacy.k_anonymity or privacy.direct_identifier_columns"
)


def add_commands(subparsers: Any) -> None:
    """Add ``anonymize`` and ``identifiers`` to the ``rai`` command line."""
    anonymize = subparsers.add_parser(
        "anonymize",
        help="apply a policy's transforms and write the result only if its checks pass",
        description="Apply the policy's transforms (drop, mask, pseudonymize, generalize, "
        "suppress, k_anonymize) in order, run the policy's checks on the result, and write "
        "OUTPUT only if they pass (exit 0); otherwise write nothing and exit 1. The "
        "pseudonymization key comes from the environment variable RAI_PSEUDONYMIZATION_KEY "
        "(or --key-env) or a key file (--key-file, mode 600); it must be random (openssl rand "
        "-hex 32) and is never printed. A policy may name only RAI_PSEUDONYMIZATION_KEY or the "
        "--key-env variable, and a key file only inside its own folder.",
    )
    anonymize.add_argument("data", help="CSV or Parquet file to anonymize")
    anonymize.add_argument("--policy", required=True, help="policy YAML file with transforms")
    anonymize.add_argument(
        "--output",
        required=True,
        metavar="OUT",
        help="where to write the release (.csv/.parquet; - for CSV on standard output)",
    )
    anonymize.add_argument(
        "--report",
        metavar="REPORT",
        help="also write the report (.json, .md, .xml, .txt; - for JSON on standard output)",
    )
    anonymize.add_argument(
        "--key-file",
        metavar="PATH",
        help="file holding the pseudonymization key (mode 600); replaces the policy's key_file",
    )
    anonymize.add_argument(
        "--key-env",
        metavar="NAME",
        help="environment variable holding the pseudonymization key; replaces the policy's "
        "key_env, and allows the policy to name it",
    )
    anonymize.set_defaults(handler=_cmd_anonymize)

    identifiers = subparsers.add_parser(
        "identifiers",
        help="list the columns that look like direct identifiers or personal data",
    )
    identifiers.add_argument("data", help="CSV or Parquet file")
    identifiers.add_argument("--sample-size", type=int, default=1000, help="values per column")
    identifiers.set_defaults(handler=_cmd_identifiers)


def _write_table(frame: Any, path: str, metadata: dict[str, str], inputs: Any) -> None:
    from responsible_ai._atomic import is_stdout, write_output

    if is_stdout(path) or Path(path).suffix.lower() == ".csv":
        write_output(path, frame.to_csv(index=False), inputs=inputs)
        return
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {
            **(table.schema.metadata or {}),
            **{f"rai.{k}".encode(): v.encode() for k, v in metadata.items()},
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    write_output(path, buffer.getvalue(), inputs=inputs)


def _anonymize_inputs(args: argparse.Namespace, loaded: Any) -> list[tuple[str, Any]]:
    """Every file ``rai anonymize`` reads: its outputs must never replace one of them."""
    inputs: list[tuple[str, Any]] = [("input data file", args.data), ("policy file", args.policy)]
    inputs += [("policy file it extends", item.get("path")) for item in loaded.files]
    keys = [args.key_file, loaded.policy.privacy.key_file]
    keys += [getattr(spec, "key_file", None) for spec in loaded.policy.transforms]
    inputs += [("pseudonymization key file", key) for key in keys if key]
    return inputs


def _cmd_anonymize(args: argparse.Namespace) -> int:
    from responsible_ai._atomic import guard_output, is_stdout
    from responsible_ai.errors import InputError

    output = Path(args.output)
    to_stdout = is_stdout(args.output)
    if not to_stdout and output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError(BAD_OUTPUT.format(path=output))
    from responsible_ai.auditing import audit
    from responsible_ai.policy.loader import load_policy
    from responsible_ai.privacy.pipeline import anonymize, read_data

    loaded = load_policy(args.policy)
    inputs = _anonymize_inputs(args, loaded)
    target = guard_output(args.output, inputs)
    if args.report:
        if guard_output(args.report) == target:
            raise InputError(SAME_OUTPUTS.format(path=args.report))
        guard_output(args.report, inputs, flag="--report")
    if not any(check.enabled for check in loaded.policy.checks):
        raise InputError(NO_CHECKS.format(name=loaded.policy.name))
    frame = read_data(args.data)
    result = anonymize(frame, loaded, key_file=args.key_file, key_env=args.key_env)
    if len(result.frame) == 0:
        raise InputError("the transforms left no records; nothing to release")
    report = audit(result.frame.reset_index(drop=True), loaded)
    from responsible_ai.hashing import sha256_file

    report.data_notes.append(f"source data: {args.data} (sha256 {sha256_file(args.data)})")
    report.data_notes.extend(result.notes())
    if result.key_ids:
        report.data_notes.append(f"pseudonymization key id: {', '.join(result.key_ids)}")
    if args.report:
        from responsible_ai._atomic import write_output

        fmt = {".md": "md", ".xml": "junit", ".txt": "text"}.get(
            Path(args.report).suffix.lower(), "json"
        )
        write_output(args.report, report.render(fmt), inputs=inputs, flag="--report")
    # With the release or the report on standard output, the summary goes to standard error.
    info = sys.stderr if to_stdout or is_stdout(args.report) else sys.stdout
    info.write(report.to_text())
    if not report.passed:
        print(f"checks failed: nothing written to {output}", file=info)
        return EXIT_FAIL
    metadata = {"policy": loaded.policy.name, "key_ids": ",".join(result.key_ids)}
    _write_table(result.frame, args.output, metadata, inputs)
    print(
        f"wrote {len(result.frame)} records to {output} ({result.suppressed} suppressed)",
        file=info,
    )
    return EXIT_PASS


def _cmd_identifiers(args: argparse.Namespace) -> int:
    from responsible_ai.errors import InputError
    from responsible_ai.privacy.detect import detect_identifiers
    from responsible_ai.privacy.pipeline import read_data

    if args.sample_size < 1:
        raise InputError(f"--sample-size must be a positive integer; got {args.sample_size}")
    table = detect_identifiers(read_data(args.data), sample_size=args.sample_size)
    if table.empty:
        print("no direct identifiers found")
        return EXIT_PASS
    sys.stdout.write(table.to_string(index=False) + "\n")
    return EXIT_PASS
