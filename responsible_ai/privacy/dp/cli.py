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

    from responsible_ai._atomic import is_stdout
    from responsible_ai.errors import InputError

    if is_stdout(path):
        return
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


def _release_inputs(args: argparse.Namespace, loaded: Any) -> list[tuple[str, Any]]:
    """Every file ``rai release`` reads or keeps: its output must never replace one of them."""
    from responsible_ai._atomic import database_file
    from responsible_ai.privacy.dp.ledger import default_ledger_url

    ledger = args.ledger or loaded.policy.privacy.ledger or default_ledger_url()
    inputs: list[tuple[str, Any]] = [("input data file", args.data), ("policy file", args.policy)]
    inputs += [("policy file it extends", item.get("path")) for item in loaded.files]
    inputs += [("model file", args.model), ("DP ledger database file", database_file(ledger))]
    return inputs


def _cmd_release(args: argparse.Namespace) -> int:
    from responsible_ai._atomic import guard_output, is_stdout, write_output
    from responsible_ai.policy.loader import load_policy
    from responsible_ai.privacy.dp.ledger import BudgetExceededError
    from responsible_ai.privacy.dp.releases import release

    if args.dry_run:
        return _dry_run(args)
    if not args.output:
        from responsible_ai.errors import InputError

        raise InputError("rai release needs --output OUT.json (or --dry-run to only price it)")
    _writable(args.output)
    loaded = load_policy(args.policy)
    inputs = _release_inputs(args, loaded)
    guard_output(args.output, inputs)  # before any budget is spent
    try:
        result = release(args.data, loaded, **_release_options(args))
    except BudgetExceededError as refused:
        print(f"rai: refused: {refused}", file=sys.stderr)
        return EXIT_FAIL
    write_output(args.output, result.to_json(), inputs=inputs)
    names = [s["name"] for s in result.statistics]
    tables = [" / ".join(t["by"]) for t in result.fairness]
    info = sys.stderr if is_stdout(args.output) else sys.stdout
    print(
        f"released {len(names)} statistic(s) and {len(tables)} fairness table(s) to {args.output}",
        file=info,
    )
    print(
        f"dataset {result.dataset}: spent epsilon {result.epsilon:g}, "
        f"{result.remaining:g} of {result.budget:g} remaining (ledger {result.ledger})",
        file=info,
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
    from responsible_ai.errors import InputError

    if args.dataset == "set":
        return _budget_set(args)
    if args.dataset == "verify":
        if args.name:
            raise InputError("rai budget verify takes no dataset: rai budget verify [--ledger URL]")
        return _budget_verify(args)
    if args.dataset == "upgrade":
        if args.name:
            raise InputError(
                "rai budget upgrade takes no dataset: rai budget upgrade [--ledger URL]"
            )
        return _budget_upgrade(args)
    if args.name or args.cap is not None or args.allow_raise:
        raise InputError(
            "to register a dataset or change its cap: rai budget set DATASET --cap EPS [--raise]"
        )
    return _budget_show(args)


def _budget_set(args: argparse.Namespace) -> int:
    from responsible_ai.errors import InputError
    from responsible_ai.privacy.dp.ledger import BudgetLedger

    if not args.name or args.cap is None:
        raise InputError(
            "rai budget set needs a dataset and its cap: rai budget set NAME --cap EPS"
        )
    ledger = BudgetLedger(args.ledger)
    previous, cap = ledger.register(args.name, args.cap, who=args.who, allow_raise=args.allow_raise)
    if previous is None:
        print(
            f"registered dataset {args.name!r} with cap epsilon {cap:g} (ledger {ledger.location})"
        )
    elif previous == cap:
        print(f"dataset {args.name!r} already has cap epsilon {cap:g}: nothing recorded")
    else:
        change = "raised" if cap > previous else "lowered"
        print(
            f"{change} the cap of dataset {args.name!r} from {previous:g} to {cap:g} "
            f"(recorded; spent so far {ledger.spent(args.name):g})"
        )
    return EXIT_PASS


def _budget_verify(args: argparse.Namespace) -> int:
    from responsible_ai.privacy.dp.ledger import BudgetLedger
    from responsible_ai.store.cli import print_verification

    ledger = BudgetLedger(args.ledger, create=False)
    result = ledger.verify(args.expect_head)
    counted = [("dp_budget_caps", "cap record(s)"), ("dp_budget_ledger", "operation(s)")]
    return print_verification(ledger.location, result, counted)


def _budget_upgrade(args: argparse.Namespace) -> int:
    from responsible_ai.privacy.dp.ledger import BudgetLedger
    from responsible_ai.privacy.dp.ledger_db import ledger_engine
    from responsible_ai.store.cli import print_upgrade
    from responsible_ai.store.migrate import LEDGER

    return print_upgrade(LEDGER, BudgetLedger(args.ledger, create=False).url, ledger_engine)


def _budget_show(args: argparse.Namespace) -> int:
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
    caps = ledger.caps(args.dataset)
    datasets = sorted(set(entries["dataset"]) | set(caps["dataset"]))
    if entries.empty:
        which = f" for dataset {args.dataset!r}" if args.dataset else ""
        print(f"no operations recorded{which}")
    else:
        shown = entries.assign(time=entries["time"].dt.strftime("%Y-%m-%d %H:%M:%S"))
        print(shown.drop(columns="reason").to_string(index=False))
    if args.dataset and args.dataset not in datasets:
        datasets.append(args.dataset)
    for dataset in datasets:
        print(_budget_line(ledger, dataset, budget))
    return EXIT_PASS


def _budget_line(ledger: Any, dataset: str, budget: float | None) -> str:
    spent = ledger.spent(dataset)
    cap = ledger.cap(dataset)
    if cap is None:
        return (
            f"{dataset}: not registered, spent epsilon {spent:g} "
            f"(register it: rai budget set {dataset} --cap EPS)"
        )
    limit = cap if budget is None else min(cap, budget)
    line = f"{dataset}: cap {cap:g}, spent epsilon {spent:g} of {limit:g}, "
    line += f"remaining {max(0.0, limit - spent):g}"
    if budget is not None and budget > cap:
        line += f" (the policy's {budget:g} is above the cap: releases are refused)"
    elif budget is not None and budget < cap:
        line += f" (the policy asks for {budget:g} of the cap)"
    return line


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
    release.add_argument(
        "--output",
        metavar="OUT.json",
        help="where to write (atomically; never over an input; - for standard output)",
    )
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
    release.add_argument(
        "--dataset",
        metavar="NAME",
        help="the registered dataset to spend on (default: release.dataset of the policy)",
    )
    release.add_argument("--ledger", metavar="URL", help="ledger path or SQLAlchemy URL")
    release.add_argument("--who", help="who asks (default: env RAI_USER, else the OS user)")
    release.set_defaults(handler=_cmd_release)

    budget = subparsers.add_parser(
        "budget",
        help="the privacy budget ledger: show it, register a dataset's cap (set), verify it, "
        "upgrade its schema",
        description="rai budget [DATASET]: every DP operation recorded (spent and refused) and "
        "each dataset's cap, spent and remaining. rai budget set DATASET --cap EPS: register "
        "a dataset's cap (data steward), lower it, or raise it with --raise; every change is "
        "recorded. rai budget verify: check the ledger's chains (exit 0 intact, 1 tampered, "
        "2 no ledger) and print its head. rai budget upgrade: upgrade its schema in place.",
    )
    budget.add_argument(
        "dataset",
        nargs="?",
        metavar="DATASET | set DATASET | verify | upgrade",
        help="a dataset id (default: every dataset), or a command: set, verify, upgrade",
    )
    budget.add_argument("name", nargs="?", help=argparse.SUPPRESS)
    budget.add_argument("--ledger", metavar="URL", help="ledger path or SQLAlchemy URL")
    budget.add_argument("--policy", metavar="FILE", help="show what remains of its budget")
    budget.add_argument("--budget", type=float, help="show what remains of this budget")
    budget.add_argument("--format", choices=("text", "json", "csv"), default="text")
    budget.add_argument(
        "--cap", type=float, metavar="EPS", help="set: the dataset's total epsilon (at most 100)"
    )
    budget.add_argument(
        "--raise",
        dest="allow_raise",
        action="store_true",
        help="set: allow raising an existing cap (recorded)",
    )
    budget.add_argument("--who", help="set: who registers (default: env RAI_USER, else OS user)")
    budget.add_argument(
        "--expect-head",
        metavar="HASH",
        help="verify: the head printed earlier; a different head exits 1",
    )
    budget.set_defaults(handler=_cmd_budget)
