"""``rai mitigate``: from a failed fairness check to a model that passes, with the cost shown.

Only the standard library at the top: ``rai --help`` must stay fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from responsible_ai.cliutils import EXIT_FAIL, EXIT_PASS, csv_list

__all__ = ["NOT_SKOPS", "add_commands"]

NOT_SKOPS = "--output must name a .skops file (the chosen model is saved with skops); got {path}"
_REPORT_FORMATS = {".json": "json", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
NOT_A_REPORT = (
    "--report must end in .json, .md or .html (the format follows the suffix); got {path}"
)
NOT_PNG = "--pareto must name a .png file; got {path}"


def add_commands(subparsers: Any) -> None:
    """Register ``rai mitigate``."""
    parser = subparsers.add_parser(
        "mitigate",
        help="refit the model with bias mitigation methods and choose one that passes the policy",
        description="Refit the model's pipeline with each mitigation method and setting on a "
        "training split, audit every candidate on the held-out split with the policy, and save "
        "the passing candidate that loses the least of the policy's performance metric. Exit 0 "
        "a candidate was chosen, 1 none passes (the checks none could meet are named), 2 bad "
        "input.",
    )
    parser.add_argument("data", help="CSV or Parquet file with features, target, sensitive columns")
    parser.add_argument("--policy", required=True, help="policy YAML file, or a shipped pack")
    parser.add_argument("--model", required=True, help=".skops model file whose pipeline is refit")
    parser.add_argument(
        "--methods",
        type=csv_list,
        metavar="NAME,...",
        help="reweighing, correlation_remover, exponentiated_gradient, grid_search, "
        "group_thresholds, threshold_optimizer (default: mitigation.methods, else every method "
        "the policy allows)",
    )
    parser.add_argument(
        "--checks",
        type=csv_list,
        metavar="ID,...",
        help="check ids a candidate must pass (default: mitigation.checks, else the whole policy)",
    )
    parser.add_argument(
        "--output", required=True, metavar="FILE.skops", help="where to save the chosen model"
    )
    parser.add_argument(
        "--report", metavar="FILE", help="the comparison as a report: .json, .md or .html"
    )
    parser.add_argument("--pareto", metavar="FILE.png", help="the Pareto front as a PNG image")
    parser.add_argument(
        "--n-jobs", type=int, default=1, help="candidates fitted in parallel (default 1)"
    )
    parser.add_argument(
        "--trust-model",
        action="store_true",
        help="allow pickle/joblib model files (they can run arbitrary code when loaded)",
    )
    parser.set_defaults(handler=_cmd_mitigate)


def _inputs(args: argparse.Namespace, loaded: Any = None) -> list[tuple[str, Any]]:
    inputs: list[tuple[str, Any]] = [
        ("input data file", args.data),
        ("policy file", args.policy),
        ("model file", args.model),
    ]
    if loaded is not None:
        inputs += [("policy file it extends", item.get("path")) for item in loaded.files]
    return inputs


def _check_paths(args: argparse.Namespace) -> None:
    from pathlib import Path

    from responsible_ai._atomic import guard_output
    from responsible_ai.errors import InputError

    if Path(args.output).suffix.lower() != ".skops":
        raise InputError(NOT_SKOPS.format(path=args.output))
    if args.report and Path(args.report).suffix.lower() not in _REPORT_FORMATS:
        raise InputError(NOT_A_REPORT.format(path=args.report))
    if args.pareto and Path(args.pareto).suffix.lower() != ".png":
        raise InputError(NOT_PNG.format(path=args.pareto))
    if args.n_jobs == 0 or args.n_jobs < -1:
        raise InputError(
            f"--n-jobs must be a positive number of processes or -1; got {args.n_jobs}"
        )
    outputs = [
        (flag, path)
        for flag, path in (
            ("--output", args.output),
            ("--report", args.report),
            ("--pareto", args.pareto),
        )
        if path
    ]
    paths = [str(Path(path).resolve()) for _, path in outputs]
    if len(set(paths)) < len(paths):
        raise InputError("--output, --report and --pareto must be different files")
    for flag, path in outputs:
        guard_output(path, _inputs(args), flag=flag)


def _cmd_mitigate(args: argparse.Namespace) -> int:
    import skops.io as sio

    from responsible_ai._atomic import write_bytes_atomic, write_text_atomic
    from responsible_ai.inputs import read_table
    from responsible_ai.mitigate.comparison import mitigation_section
    from responsible_ai.mitigate.plot import pareto_png
    from responsible_ai.mitigate.search import search
    from responsible_ai.mitigate.summary import summary_lines
    from responsible_ai.models import load_model
    from responsible_ai.policy.loader import load_policy

    _check_paths(args)  # before the (slow) search: fail fast
    loaded = load_policy(args.policy)
    model = load_model(args.model, trust_model=args.trust_model)
    frame = read_table(args.data)
    result = search(
        frame,
        loaded,
        model,
        methods=args.methods,
        checks=args.checks,
        n_jobs=args.n_jobs,
        progress=sys.stderr.isatty(),
    )
    section = mitigation_section(result)
    for line in summary_lines(section):
        print(line)
    inputs = _inputs(args, loaded)
    if args.report:
        from pathlib import Path

        chosen = result.chosen or result.original
        report = chosen.report
        assert report is not None  # the original's audit always exists (search raises otherwise)
        report.mitigation = section
        fmt = _REPORT_FORMATS[Path(args.report).suffix.lower()]
        write_text_atomic(args.report, report.render(fmt), inputs=inputs, flag="--report")
        print(f"wrote {fmt} report to {args.report}")
    if args.pareto:
        write_bytes_atomic(args.pareto, pareto_png(section), inputs=inputs, flag="--pareto")
        print(f"wrote {args.pareto}")
    if result.chosen is None:
        return EXIT_FAIL
    write_bytes_atomic(args.output, sio.dumps(result.chosen.model), inputs=inputs)
    print(f"wrote {args.output}")
    return EXIT_PASS
