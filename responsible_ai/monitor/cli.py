"""``rai monitor``: prediction logs against a policy's ``monitoring:`` section; exit 1 on an alert.

Only the standard library at the top: ``rai --help`` must stay fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from responsible_ai.cliutils import EXIT_FAIL, EXIT_PASS, preload

__all__ = ["FOLLOW_NEEDS_STATE", "add_commands"]

FOLLOW_NEEDS_STATE = (
    "--follow continues a monitor: give --store (or --state FILE) of an earlier run (run once "
    "without --follow to create it)"
)
MONITOR_EXISTS = (
    "monitor {name!r} already has runs in the store; --follow appends new files to it, or "
    "--name starts another monitor"
)
STATE_AND_STORE = "give --store or --state, not both: the monitor's counts live in one place"
_FORMATS = ("text", "json", "md", "junit")
_SUFFIX = {".json": "json", ".md": "md", ".xml": "junit", ".txt": "text"}


def add_commands(subparsers: Any) -> None:
    """Register ``rai monitor``."""
    parser = subparsers.add_parser(
        "monitor",
        help="watch prediction logs: fairness and drift per window, alerts (exit 1 on an alert)",
        description="Cut prediction logs (CSV/Parquet file, folder or glob) into the policy's "
        "windows; per window compute its fairness checks, drift against the reference and "
        "performance per group (estimated where labels are missing); apply its monitoring "
        "rules. Exit 0: no alert; 1: an alert at the policy's fail_on fired; 2: bad input.",
    )
    parser.add_argument("logs", help="prediction logs: a CSV/Parquet file, a folder, or a glob")
    parser.add_argument("--policy", required=True, help="policy file with a monitoring: section")
    parser.add_argument("--reference", help="reference data (default: monitoring.reference)")
    parser.add_argument(
        "--store",
        metavar="URL",
        nargs="?",
        const="",
        help="record windows and alerts in the review store (default URL: $RAI_STORE_URL or "
        "~/.responsible-ai/store.sqlite); --follow continues the monitor stored there",
    )
    parser.add_argument("--name", help="the monitor's name (default: the policy's name)")
    parser.add_argument(
        "--state",
        metavar="FILE.json",
        help="keep the monitor's counts here (written atomically); --follow continues from it",
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="read only the files --state has not counted, merge their counts, re-alert",
    )
    parser.add_argument("--format", choices=_FORMATS, help="default: text, or by --output suffix")
    parser.add_argument("--output", metavar="PATH", help="write the report (never over an input)")
    parser.add_argument(
        "--windows", metavar="FILE.json", help="write every window's numbers as JSON"
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "duckdb", "batches"),
        default="auto",
        help="auto: DuckDB for day windows when installed, except Parquet logs of at most "
        "16 MiB; else batches",
    )
    parser.add_argument(
        "--no-webhook", action="store_true", help="do not post alerts to monitoring.webhook"
    )
    parser.set_defaults(handler=_cmd_monitor)


def _inputs(args: argparse.Namespace, files: list[str]) -> list[tuple[str, Any]]:
    inputs: list[tuple[str, Any]] = [("policy file", args.policy), ("input data file", args.logs)]
    inputs += [("input data file", f) for f in files]
    if args.reference:
        inputs.append(("reference data file", args.reference))
    return inputs


def _cmd_monitor(args: argparse.Namespace) -> int:
    preload("responsible_ai.monitor.run", "responsible_ai.monitor.persist", "pyarrow.parquet")
    from responsible_ai._atomic import guard_output, is_stdout, write_output
    from responsible_ai.errors import InputError
    from responsible_ai.monitor.persist import read_state, windows_json, write_state
    from responsible_ai.monitor.run import monitor
    from responsible_ai.monitor.state_files import refuse_state_among_logs

    if args.state and args.store is not None:
        raise InputError(STATE_AND_STORE)
    if args.follow and not args.state and args.store is None:
        raise InputError(FOLLOW_NEEDS_STATE)
    previous = None
    store = None
    name = args.name
    if args.store is not None:
        from responsible_ai.monitor.run import monitor_name
        from responsible_ai.store.monitors import monitor_state
        from responsible_ai.store.store import ReviewStore

        store = ReviewStore(args.store or None)
        name = name or monitor_name(args.policy)
        previous = monitor_state(store, name)
        if previous is not None and not args.follow:
            raise InputError(MONITOR_EXISTS.format(name=name))
        if previous is None and args.follow:
            raise InputError(FOLLOW_NEEDS_STATE)
    elif args.follow:
        if not Path(args.state).is_file():
            raise InputError(FOLLOW_NEEDS_STATE)
        previous = read_state(args.state)
    fmt = args.format or (
        _SUFFIX.get(Path(args.output).suffix.lower(), "json") if args.output else "text"
    )
    from responsible_ai.engines.sources import data_sources

    read = _inputs(args, [str(f) for f in data_sources(args.logs)[0]])  # every log file too
    for target in (args.output, args.windows):
        if target and not is_stdout(target):
            guard_output(target, read)
    if args.state:
        guard_output(args.state, read, flag="--state")
        refuse_state_among_logs(args.state, args.logs)  # said before anything is counted
    from responsible_ai.policy.loader import load_policy

    loaded = load_policy(args.policy)
    hook = _webhook(args, loaded)  # a missing or bad URL is bad input: said before counting
    result = monitor(
        args.logs,
        loaded,
        reference=args.reference,
        previous=previous,
        engine=args.engine,
        name=name,
    )
    report = result.report
    inputs = _inputs(args, sorted(result.state.meta.files))
    if args.output and not is_stdout(args.output):
        write_output(args.output, report.render(fmt), inputs=inputs)
        sys.stdout.write(report.to_text())
        print(f"wrote {fmt} report to {args.output}")
    else:
        sys.stdout.write(report.render(fmt))
    if args.windows:
        write_output(args.windows, windows_json(result), inputs=inputs)
        print(f"wrote {len(result.windows)} windows to {args.windows}")
    if args.state:
        write_state(args.state, result.state, inputs=inputs)  # among the logs: refused above
        new = len(result.new_files)
        print(f"counted {new} new file(s); state in {args.state}")
    if store is not None:
        from responsible_ai.store.monitors import save_monitor_run

        run_id = save_monitor_run(store, result, result.fresh_counts)
        print(f"recorded monitor run {run_id} of {result.name!r} in {store.display_url}")
    if hook is not None and not report.passed:
        _post(hook, result)
    return EXIT_PASS if report.passed else EXIT_FAIL


def _webhook(args: argparse.Namespace, loaded: Any) -> Any:
    """The policy's webhook settings (its URL checked), or None when there is none to post to."""
    settings = loaded.policy.monitoring
    if settings is None or settings.webhook is None or args.no_webhook:
        return None
    from responsible_ai.monitor.webhook import webhook_url

    webhook_url(settings.webhook)
    return settings.webhook


def _post(hook: Any, result: Any) -> None:
    """Post the alerts; a delivery that fails after its retries is said on standard error, and
    the exit code stays the alerts' (1): the reports and the store already hold them."""
    from responsible_ai.monitor.webhook import (
        WebhookError,
        alert_payload,
        mask_url,
        post_alerts,
        webhook_url,
    )

    try:
        attempts = post_alerts(hook, alert_payload(result.report, result.name))
    except WebhookError as failed:
        print(f"rai: warning: alerts not delivered: {failed}", file=sys.stderr)
        return
    print(f"posted the alerts to {mask_url(webhook_url(hook))} ({attempts} attempt(s))")
