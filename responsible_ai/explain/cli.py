"""``rai explain``: global, per-group and per-row explanations of a model on data.

Only the standard library at the top: ``rai --help`` must stay fast.
"""

from __future__ import annotations

import argparse
from typing import Any

from responsible_ai.cliutils import csv_list

__all__ = ["NO_SENSITIVE_NOTE", "add_commands"]

NO_SENSITIVE_NOTE = (
    "note: no sensitive columns (--sensitive or data.sensitive of --policy): "
    "no group attributions and no proxies"
)
_SHOWN = 10


def add_commands(subparsers: Any) -> None:
    """Register ``rai explain``."""
    parser = subparsers.add_parser(
        "explain",
        help="explain a model on data: global, per group, proxies, reasons for refusals",
        description="Explain a model on data with SHAP: global importance, attribution per "
        "sensitive group, proxies for sensitive features, principal reasons for every negative "
        "decision. Prints a summary; --output writes everything as JSON.",
    )
    parser.add_argument("data", help="CSV or Parquet file")
    parser.add_argument("--model", required=True, help=".skops model file")
    parser.add_argument("--sensitive", metavar="COL,...", type=csv_list, help="sensitive columns")
    parser.add_argument("--policy", help="policy YAML: data roles and its explain: settings")
    parser.add_argument(
        "--rows", type=int, help="rows to explain (stratified sample; default 1000)"
    )
    parser.add_argument("--positive-label", metavar="VALUE", help="the favourable outcome")
    parser.add_argument("--top", type=int, default=4, help="reasons per refusal (default 4)")
    parser.add_argument("--seed", type=int, help="seed (default: the policy's, else 0)")
    parser.add_argument(
        "--n-jobs",
        type=int,
        metavar="N",
        help="worker processes for TreeSHAP (default: explain.n_jobs, $RAI_N_JOBS, all cores)",
    )
    parser.add_argument(
        "--output",
        metavar="FILE.json",
        help="write the explanation as JSON (never over an input; - for standard output)",
    )
    parser.add_argument(
        "--trust-model",
        action="store_true",
        help="allow pickle/joblib model files (they can run arbitrary code when loaded)",
    )
    parser.set_defaults(handler=_cmd_explain)


def _table(frame: Any, columns: list[str]) -> str:
    from responsible_ai.report.escaping import escape_terminal

    text = frame[columns].head(_SHOWN).to_string(index=False, float_format=lambda v: f"{v:.4g}")
    return escape_terminal(str(text), keep_newlines=True)


def _cmd_explain(args: argparse.Namespace) -> int:
    import contextlib
    import sys

    from responsible_ai._atomic import is_stdout

    if not is_stdout(args.output):
        return _explain(args, None)
    json_stream = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # the summary; the JSON alone on stdout
        return _explain(args, json_stream)


def _explain(args: argparse.Namespace, json_stream: Any) -> int:
    import json

    from responsible_ai._atomic import guard_output, write_text_atomic
    from responsible_ai.errors import InputError
    from responsible_ai.explain.explanation import explain
    from responsible_ai.inputs import read_table
    from responsible_ai.models import load_model
    from responsible_ai.policy.schema import Policy

    if args.rows is not None and args.rows < 1:
        raise InputError(f"--rows must be a positive number of rows; got {args.rows}")
    if args.top < 1:
        raise InputError(f"--top must be at least 1; got {args.top}")
    if args.policy:
        from responsible_ai.policy.loader import load_policy

        policy = load_policy(args.policy).policy
    else:
        policy = Policy(name="rai explain")
    inputs: list[tuple[str, Any]] = [("input data file", args.data), ("model file", args.model)]
    if args.policy:
        inputs.append(("policy file", args.policy))
    if args.output:
        guard_output(args.output, inputs)  # before the (slow) explanation
    frame = read_table(args.data)
    model = load_model(args.model, trust_model=args.trust_model)
    sensitive = args.sensitive if args.sensitive is not None else list(policy.data.sensitive)
    positive: Any = policy.data.positive_label
    if args.positive_label is not None:
        import yaml

        positive = yaml.safe_load(args.positive_label)
    settings = policy.explain
    exp = explain(
        model,
        frame,
        sensitive,
        features=policy.data.features,
        rows=args.rows or settings.sample_size,
        random_state=args.seed if args.seed is not None else policy.seed,
        proxy_threshold=settings.proxy_threshold,
        positive_label=positive,
        min_rows_per_group=settings.min_rows_per_group,
        background_size=settings.background_size,
        bootstrap=settings.bootstrap,
        confidence=settings.confidence,
        n_jobs=args.n_jobs if args.n_jobs is not None else settings.n_jobs,
    )
    from responsible_ai.report.escaping import escape_terminal

    for note in exp.data_notes:
        print(f"note: {escape_terminal(note)}")
    print(f"{exp.explainer_name}: {exp.explainer_reason}")
    print(
        f"explained {exp.rows_explained} of {exp.rows_total} rows; values in {exp.output_space}, "
        f"expected value {exp.expected_value:.4g}, additivity error {exp.additivity_error:.2g}"
    )
    print("\nglobal importance (mean |SHAP|, 95% bootstrap interval):")
    print(_table(exp.global_importance, ["feature", "mean_abs_shap", "ci_low", "ci_high"]))
    if not sensitive:
        print(NO_SENSITIVE_NOTE)
    else:
        print(
            f"\nshare of attribution on sensitive features: {exp.sensitive_attribution_share:.4g}"
        )
        print("\nlargest gaps in mean SHAP between groups:")
        gaps = exp.group_gaps.sort_values("gap", ascending=False)
        columns = ["sensitive", "feature", "gap", "gap_ci_low", "gap_ci_high"]
        print(_table(gaps, [*columns, "highest_group", "lowest_group"]))
        flagged = exp.proxies[exp.proxies["is_proxy"]]
        print(f"\nproxies (association >= {exp.settings['proxy_threshold']:g}): {len(flagged)}")
        print(_table(exp.proxies, ["feature", "sensitive", "association", "measure", "importance"]))
    reasons = exp.reasons_table(top=args.top)
    refused = reasons["row"].nunique() if len(reasons) else 0
    print(f"\nprincipal reasons of negative decisions ({refused} rows; first shown):")
    shown = reasons[reasons["row"].isin(reasons["row"].unique()[:3])] if refused else reasons
    print(_table(shown, ["row", "rank", "feature", "value", "contribution"]) if refused else "none")
    if args.output:
        text = json.dumps(exp.to_dict(top=args.top), indent=2) + "\n"
        if json_stream is not None:
            json_stream.write(text)
        else:
            write_text_atomic(args.output, text, inputs=inputs)
            print(f"\nwrote {args.output}")
    return 0
