"""``rai release`` and ``rai budget``: DP releases and the privacy budget ledger.

Only the standard library at the top of this module, so ``rai --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from responsible_ai.cliutils import EXIT_FAIL, EXIT_PASS, csv_list, label_from_text

__all__ = ["add_commands"]


def _writable(path: str) -> None:
    """Refuse an output that cannot be written before any budget is spent on it."""
    import os
    from pathlib import Path

    from responsible_ai.errors import InputError

    target = Path(path)
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if target.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(f"cannot write the release to {path}: choose a writable file path")


def _release_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``release`` that come from the command line."""
    return {
        "model": args.model,
        "prediction": args.prediction,
        "target": args.target,
        "sensitive": args.sensitive,
        "positive_label": label_from_text(args.positive_label) if args.positive_label else None,
        "trust_model": args.trust_model,
        "dataset": args.dataset,
        "ledger": args.ledger,
        "who": args.who,
    }


def _cmd_release(args: argparse.Namespace) -> int:
    from responsible_ai._atomic import write_text_atomic
    from responsible_ai.privacy.dp.ledger import BudgetExceededError
    from responsible_ai.privacy.dp.releases import release

    if args.dry_run:
        return _dry_run(args)
    if not args.output:
        from responsible_ai.errors import InputError

        raise InputError("rai release needs --output OUT.json (or --dry-run to only price it)")
    _writable(args.output)
    try:
        result = release(args.data, args.policy, **_release_options(args))
    except BudgetExceededError as refused:
        print(f"rai: refused: {refused}", file=sys.stderr)
        return EXIT_FAIL
    write_text_atomic(args.output, result.to_json())
    names = [s["name"] for s in result.statistics]
    tables = [" / ".join(t["by"]) for t in result.fairness]
    print(
        f"released {len(names)} statistic(s) and {len(tables)} fairness table(s) to {args.output}"
    )
    print(
        f"dataset {result.dataset}: spent epsilon {result.epsilon:g}, "
        f"{result.remaining:g} of {result.budget:g} remaining (ledger {result.ledger})"
    )
    return EXIT_PASS


def _dry_run(args: argparse.Namespace) -> int:
    from responsible_ai.privacy.dp.releases import release

    plan = release(args.data, args.policy, dry_run=True, **_release_options(args))
    for op in plan.operations:
        print(f"  {op['operation']:<40} {op['mechanism']:<26} epsilon {op['epsilon']:g}")
    spent = plan.budget - plan.remaining - plan.epsilon
    verdict = "fits" if plan.fits else "would be REFUSED"
    print(
        f"dry run, nothing charged or released: dataset {plan.dataset} needs epsilon "
        f"{plan.epsilon:g}; {spent:g} of {plan.budget:g} already spent: {verdict}"
    )
    return EXIT_PASS if plan.fits else EXIT_FAIL


def _cmd_budget(args: argparse.Namespace) -> int:
    from responsible_ai.privacy.dp.ledger import BudgetLedger

    budget = args.budget
    ledger_url = args.ledger
    if args.policy:
        from responsible_ai.policy import load_policy

        policy = load_policy(args.policy).policy
        budget = budget if budget is not None else policy.privacy.epsilon_budget
        ledger_url = ledger_url or policy.privacy.ledger
    ledger = BudgetLedger(ledger_url)
    entries = ledger.entries(args.dataset)
    if args.format == "json":
        sys.stdout.write(entries.to_json(orient="records", date_format="iso", indent=2) + "\n")
        return EXIT_PASS
    if args.format == "csv":
        sys.stdout.write(entries.to_csv(index=False))
        return EXIT_PASS
    print(f"ledger {ledger.location}")
    if entries.empty:
        which = f" for dataset {args.dataset!r}" if args.dataset else ""
        print(f"no operations recorded{which}")
        return EXIT_PASS
    shown = entries.assign(time=entries["time"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    print(shown.to_string(index=False))
    for dataset in sorted(entries["dataset"].unique()):
        spent = ledger.spent(dataset)
        line = f"{dataset}: spent epsilon {spent:g}"
        if budget is not None:
            line += f" of {budget:g}, remaining {ledger.remaining(dataset, budget):g}"
        print(line)
    return EXIT_PASS


def add_commands(subparsers: Any) -> None:
    """Add ``release`` and ``budget`` to the ``rai`` command line."""
    release = subparsers.add_parser(
        "release",
        help="release the DP statistics a policy asks for; exit 1 if over the privacy budget",
        description="Release differentially private statistics and fairness tables as the "
        "policy's release section says, charged to the privacy budget ledger. Over budget: "
        "exit 1, nothing written, the refusal recorded.",
    )
    release.add_argument("data", help="CSV or Parquet file")
    release.add_argument("--policy", required=True, help="policy YAML file with a release section")
    release.add_argument("--output", metavar="OUT.json", help="where to write (atomically)")
    release.add_argument(
        "--dry-run",
        action="store_true",
        help="list what the release would cost; charge nothing, write nothing "
        "(exit 1 if it would be refused)",
    )
    source = release.add_mutually_exclusive_group()
    source.add_argument("--model", help=".skops model file (for release.fairness)")
    source.add_argument("--prediction", metavar="COL", help="column holding the decisions")
    release.add_argument("--target", metavar="COL", help="column holding the true outcome")
    release.add_argument("--sensitive", metavar="COL,...", type=csv_list, help="sensitive features")
    release.add_argument("--positive-label", metavar="VALUE", help="the favourable outcome")
    release.add_argument("--trust-model", action="store_true", help="allow pickle/joblib models")
    release.add_argument("--dataset", metavar="ID", help="ledger key (default: data SHA-256)")
    release.add_argument("--ledger", metavar="URL", help="ledger path or SQLAlchemy URL")
    release.add_argument("--who", help="who asks (default: env RAI_USER, else the OS user)")
    release.set_defaults(handler=_cmd_release)

    budget = subparsers.add_parser(
        "budget",
        help="print the privacy budget ledger",
        description="Print every DP operation recorded in the ledger (spent and refused).",
    )
    budget.add_argument("dataset", nargs="?", help="dataset id (default: every dataset)")
    budget.add_argument("--ledger", metavar="URL", help="ledger path or SQLAlchemy URL")
    budget.add_argument("--policy", metavar="FILE", help="show what remains of its budget")
    budget.add_argument("--budget", type=float, help="show what remains of this budget")
    budget.add_argument("--format", choices=("text", "json", "csv"), default="text")
    budget.set_defaults(handler=_cmd_budget)
