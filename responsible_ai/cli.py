"""The ``rai`` command line: a thin face over the library.

Exit codes: 0 verdict pass, 1 verdict fail, 2 bad usage or bad input (one clear message on stderr,
no traceback). Heavy libraries are imported inside the commands so ``rai --help`` stays fast.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from responsible_ai._modules import module_exists as _module_exists

# Re-exported: these moved below the command line so capability modules never import it.
from responsible_ai.cliutils import (
    EXIT_FAIL,
    EXIT_INTERNAL,
    EXIT_PASS,
    EXIT_USAGE,
    csv_list,
    label_from_text,
    preload,
)

__all__ = ["main"]

# Each capability adds its subcommands from its own module: ``add_commands(subparsers)`` registers
# parsers whose ``handler`` takes the parsed args and returns an exit code. These modules must
# import only the standard library at top level, so that ``rai --help`` stays fast.
_COMMAND_MODULES: tuple[str, ...] = (
    "responsible_ai.explain.cli",
    "responsible_ai.privacy.cli",
    "responsible_ai.privacy.dp.cli",
    "responsible_ai.store.cli",
    "responsible_ai.store.service_cli",
    "responsible_ai.api.cli",
    "responsible_ai.mitigate.cli",
    "responsible_ai.monitor.cli",
)
_FORMATS = ("text", "json", "md", "junit", "html")
_SUFFIX_FORMATS = {
    ".json": "json",
    ".md": "md",
    ".markdown": "md",
    ".xml": "junit",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own usage errors: exit 2, one line
        self.print_usage(sys.stderr)
        print(f"rai: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _write_output(path: str, content: str, inputs: list[tuple[str, Any]] | None = None) -> None:
    from responsible_ai._atomic import write_output

    write_output(path, content, inputs=inputs or [])


def _check_inputs(args: argparse.Namespace, report: Any = None) -> list[tuple[str, Any]]:
    """The files ``rai check`` reads, which its ``--output`` must never replace."""
    inputs: list[tuple[str, Any]] = [("input data file", args.data), ("policy file", args.policy)]
    if any(c in str(args.data) for c in "*?[") or Path(args.data).is_dir():
        import contextlib

        from responsible_ai.engines.sources import data_sources
        from responsible_ai.errors import InputError

        with contextlib.suppress(InputError):  # no data files there: the audit says so
            inputs += [("input data file", path) for path in data_sources(args.data)[0]]
    if args.model:
        inputs.append(("model file", args.model))
    if args.url or args.url_file:
        from responsible_ai.engines.sql_database import files_read

        inputs += files_read(args.url, args.url_file)
    if args.train:
        inputs.append(("training data file", args.train))
    if report is not None:
        files = report.policy.get("files") or []
        inputs += [("policy file it extends", item.get("path")) for item in files]
    return inputs


def _cmd_check(args: argparse.Namespace) -> int:
    model_file = str(args.model or "").lower().endswith(".skops")
    preload("responsible_ai.auditing", *(["skops.io"] if model_file else []))
    from responsible_ai._atomic import guard_output, is_stdout
    from responsible_ai.auditing import audit

    fmt = args.format
    if fmt is None:
        fmt = (
            _SUFFIX_FORMATS.get(Path(args.output).suffix.lower(), "json") if args.output else "text"
        )
    if args.output:
        guard_output(args.output, _check_inputs(args))  # before the audit: fail fast
    if args.spark_master:
        os.environ["RAI_SPARK_MASTER"] = args.spark_master
    from responsible_ai.engines.sql_database import url_from_command_line

    url = url_from_command_line(args.url, args.url_file)
    report = audit(
        args.data,
        args.policy,
        model=args.model,
        prediction=args.prediction,
        target=args.target,
        score=args.score,
        sensitive=args.sensitive,
        positive_label=label_from_text(args.positive_label)
        if args.positive_label is not None
        else None,
        trust_model=args.trust_model,
        seed=args.seed,
        allow_extends_path=args.allow_extends_path,
        engine=args.engine,
        url=url,
        train=args.train,
    )
    to_file = bool(args.output) and not is_stdout(args.output)
    if to_file:
        _write_output(args.output, report.render(fmt), _check_inputs(args, report))
        sys.stdout.write(report.to_text())
        print(f"wrote {fmt} report to {args.output}")
    else:
        sys.stdout.write(report.render(fmt))
    if args.submit is not None:  # after the report is out: a CI job keeps it either way
        _submit(report, args, sys.stdout if to_file else sys.stderr)
    return EXIT_PASS if report.passed else EXIT_FAIL


def _submit(report: Any, args: argparse.Namespace, stream: Any) -> None:
    from responsible_ai.store.submit import collect_provenance

    target = None if args.submit is True else args.submit
    done = report.submit(target, provenance=collect_provenance(Path(args.data).parent))
    # Standard output carries the report itself unless it went to a file.
    print(f"submitted run {done.id}: {done.url}", file=stream)


def _cmd_policy_validate(args: argparse.Namespace) -> int:
    from responsible_ai.policy.loader import validate_policy_files

    issues = []
    for file in args.files:
        found = validate_policy_files([file], allow_extends_path=args.allow_extends_path)
        for issue in found:
            print(str(issue), file=sys.stderr)
        if not found:
            print(f"ok: {file}")
        issues += found
    if issues:
        count = len(issues)
        print(f"rai: error: {count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_PASS


def _cmd_policy_schema(args: argparse.Namespace) -> int:
    import json

    from responsible_ai.policy import policy_json_schema

    text = json.dumps(policy_json_schema(), indent=2) + "\n"
    if args.output:
        _write_output(args.output, text)
    else:
        sys.stdout.write(text)
    return EXIT_PASS


def _cmd_report_schema(args: argparse.Namespace) -> int:
    import json

    from responsible_ai.report import report_json_schema

    text = json.dumps(report_json_schema(), indent=2) + "\n"
    if args.output:
        _write_output(args.output, text)
    else:
        sys.stdout.write(text)
    return EXIT_PASS


def _cmd_metrics(args: argparse.Namespace) -> int:
    from responsible_ai.checker.registry import all_metrics

    specs = all_metrics()
    width = max(len(spec.id) for spec in specs)
    for spec in specs:
        needs = f" [needs {', '.join(sorted(spec.needs))}]" if spec.needs else ""
        print(f"{spec.id:<{width}}  {spec.summary}{needs}")
    return EXIT_PASS


def _cmd_reference_models(args: argparse.Namespace) -> int:
    from responsible_ai.datasets import SAMPLE_DATASETS
    from responsible_ai.reference_models import save_reference_model

    names = SAMPLE_DATASETS if args.dataset == "all" else (args.dataset,)
    out = Path(args.out) if args.out else None
    if args.holdout is not None:
        from responsible_ai.errors import InputError
        from responsible_ai.reference_models import HOLDOUT_RANGE, save_holdout_split

        if not 0 < args.holdout <= 0.9:
            raise InputError(HOLDOUT_RANGE.format(value=args.holdout))
        names = tuple(name for name in names if name != "adult")  # adult has its own split
        for name in names:
            print("wrote " + ", ".join(map(str, save_holdout_split(name, out, args.holdout))))
        return EXIT_PASS
    for name in names:
        path = save_reference_model(name, out)
        print(f"wrote {path}")
    return EXIT_PASS


def _add_allow_extends_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-extends-path",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder outside the policy's own folder whose files 'extends' may name "
        "(repeatable; by default only the policy's folder and the shipped packs)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rai",
        description="Audit ML models and data for fairness, explainability and privacy "
        "against policies written as code.",
        epilog="Exit codes: 0 pass, 1 fail, 2 bad usage or input.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser(
        "check",
        help="audit data (and a model) against a policy; exit 0 pass, 1 fail",
        description="Audit data (and a model or a prediction column) against a policy.",
    )
    check.add_argument("data", help="CSV or Parquet file (a table or view with --engine sql)")
    check.add_argument(
        "--policy", required=True, help="policy YAML file, or a shipped pack (eeoc-four-fifths)"
    )
    source = check.add_mutually_exclusive_group()
    source.add_argument("--model", help=".skops model file (.pkl/.joblib only with --trust-model)")
    source.add_argument("--prediction", metavar="COL", help="column holding the decisions")
    check.add_argument("--target", metavar="COL", help="column holding the true outcome")
    check.add_argument("--score", metavar="COL", help="column holding predicted probabilities")
    check.add_argument("--sensitive", metavar="COL,...", type=csv_list, help="sensitive features")
    check.add_argument("--positive-label", metavar="VALUE", help="the favourable outcome")
    check.add_argument("--train", metavar="FILE", help="the model's training data (data.train)")
    check.add_argument(
        "--trust-model",
        action="store_true",
        help="allow pickle/joblib model files (they can run arbitrary code when loaded)",
    )
    check.add_argument("--format", choices=_FORMATS, help="output format (default: from --output)")
    check.add_argument(
        "--output",
        metavar="PATH",
        help="write the report here (atomically; never over an input; - for standard output)",
    )
    check.add_argument("--seed", type=int, help="override the policy's seed")
    check.add_argument(
        "--engine",
        choices=("pandas", "duckdb", "spark", "sql"),
        help="where the per-group counts are computed: pandas (in memory, Parquet in batches) "
        "or duckdb (Parquet/CSV files, folders and globs, out of core; memory limit "
        "$RAI_DUCKDB_MEMORY, default 2GB). Default: duckdb for folders, globs and files of "
        "1 GiB or more when installed and the policy needs decision counts only; spark "
        "counts (and predicts with --model) on Spark's executors; sql counts in a database "
        "(DATA is a table or view; --url-file or $RAI_SQL_URL)",
    )
    check.add_argument(
        "--spark-master",
        metavar="URL",
        help="the Spark master for --engine spark (default $RAI_SPARK_MASTER, else local[2])",
    )
    check.add_argument(
        "--url",
        metavar="URL",
        help="the database of --engine sql, without a password (PGPASSWORD supplies it), "
        "e.g. postgresql://user@host/db or sqlite:///decisions.sqlite",
    )
    check.add_argument(
        "--url-file",
        metavar="FILE",
        help="a file (chmod 600) holding the database URL of --engine sql, password included",
    )
    check.add_argument(
        "--submit",
        nargs="?",
        const=True,
        metavar="TARGET",
        help="record the run for review: a store URL or path, or https://host of the API "
        "(token in $RAI_TOKEN); default $RAI_SUBMIT, else the local store",
    )
    _add_allow_extends_path(check)
    check.set_defaults(handler=_cmd_check)

    policy = commands.add_parser("policy", help="validate policies, print the policy JSON Schema")
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="COMMAND")
    validate = policy_commands.add_parser("validate", help="report every problem in policy files")
    validate.add_argument(
        "files", nargs="+", metavar="FILE", help="policy files, or shipped packs by name"
    )
    _add_allow_extends_path(validate)
    validate.set_defaults(handler=_cmd_policy_validate)
    schema = policy_commands.add_parser("schema", help="print the JSON Schema of policy files")
    schema.add_argument("--output", metavar="PATH")
    schema.set_defaults(handler=_cmd_policy_schema)

    report = commands.add_parser("report", help="report tools")
    report_commands = report.add_subparsers(dest="report_command", metavar="COMMAND")
    report_schema = report_commands.add_parser("schema", help="print the JSON report's schema")
    report_schema.add_argument("--output", metavar="PATH")
    report_schema.set_defaults(handler=_cmd_report_schema)

    metrics = commands.add_parser("metrics", help="list every metric id a policy can use")
    metrics.set_defaults(handler=_cmd_metrics)

    reference = commands.add_parser(
        "reference-models", help="train and save the reference model of each sample dataset"
    )
    reference.add_argument(
        "--dataset",
        default="all",
        choices=("all", "german_credit", "adult", "people"),
        help="which sample dataset (default: all)",
    )
    reference.add_argument("--out", metavar="DIR", help="directory (default: $RAI_HOME/models)")
    reference.add_argument(
        "--holdout",
        type=float,
        metavar="FRACTION",
        help="instead, train on all but this share of rows and write <name>-holdout.skops, "
        "<name>-train.csv and <name>-holdout.csv (for membership inference)",
    )
    reference.set_defaults(handler=_cmd_reference_models)

    for module in _COMMAND_MODULES:
        if _module_exists(module):
            importlib.import_module(module).add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used as the console script's status).

    Without ``argv`` (the process's own command line: the ``rai`` program), every object is
    frozen once the command is done, so that the interpreter's last collection at exit does not
    walk them all (0.3 s of ``rai check``); the command's own cleanup still runs.
    """
    code = _main(argv)
    if argv is None:
        gc.freeze()
    return code


def _main(argv: Sequence[str] | None) -> int:
    # pydantic would import the plugins every installed package declares (scanning all their
    # entry points, 8 ms) at the first model it builds: rai runs no code it was not given
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        sub = {"policy": "policy", "report": "report"}.get(str(args.command))
        if sub:
            parser.parse_args([sub, "--help"])
        parser.print_help()
        return EXIT_USAGE
    from responsible_ai.errors import RAIError

    try:
        return handler(args)
    except RAIError as error:
        from responsible_ai.report.escaping import escape_terminal

        print(f"rai: error: {escape_terminal(str(error), keep_newlines=True)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rai: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if os.environ.get("RAI_DEBUG"):
            raise
        print(
            f"rai: internal error: {type(error).__name__}: {error} "
            f"(a bug: please report it; RAI_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
