"""``rai store verify|upgrade|runs`` and ``rai app``: the review store and the review app.

Only the standard library at the top: ``rai --help`` must stay fast.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = ["add_commands", "app_script", "print_upgrade", "print_verification", "streamlit_command"]

APP_SCRIPT_ENV = "RAI_APP_SCRIPT"
DEFAULT_PORT = 8501


def app_script() -> Path:
    """The app script: ``$RAI_APP_SCRIPT``, else the app shipped with the package."""
    from responsible_ai import resources
    from responsible_ai.errors import InputError

    override = os.environ.get(APP_SCRIPT_ENV)
    script = Path(override) if override else resources.app_script()
    if not script.is_file():
        raise InputError(
            f"the review app is not found at {script}; reinstall responsible-ai "
            f"(pip install 'responsible-ai[app]') or set {APP_SCRIPT_ENV} to its streamlit_app.py"
        )
    return script


def max_upload_mb() -> int:
    """Upload size limit of the app in MB: ``$RAI_MAX_UPLOAD_MB`` (default 200)."""
    from responsible_ai.uploads import max_upload_bytes

    return max_upload_bytes() // (1024 * 1024)


def streamlit_command(
    port: int | None = None, address: str | None = None, headless: bool = False
) -> list[str]:
    """The command line that starts the review app with the project's settings."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_script()),
        "--browser.gatherUsageStats=false",
        f"--server.maxUploadSize={max_upload_mb()}",
        "--theme.base=light",
        "--client.toolbarMode=viewer",
        # Streamlit's own INFO lines ("Uvicorn server started ...") are not for the user.
        "--logger.level=warning",
        # No watching of source files (a developer's reload-on-edit): after every script run
        # that imported a module, Streamlit walks all of sys.modules (thousands, with pandas,
        # scikit-learn and matplotlib) on its event loop: on the first visit of Fairness, that
        # held the page's last elements back 0.4-0.7 s.
        "--server.fileWatcherType=none",
    ]
    if port is not None:
        command.append(f"--server.port={port}")
    if address is not None:
        command.append(f"--server.address={address}")
    if headless:
        command.append("--server.headless=true")
    return command


def _cmd_app(args: argparse.Namespace) -> int:
    from responsible_ai.errors import InputError

    if importlib.util.find_spec("streamlit") is None:
        raise InputError("the review app needs Streamlit: pip install -e '.[app]'")
    if args.store_url:
        os.environ["RAI_STORE_URL"] = args.store_url
    from responsible_ai.sample_start import STORED_FIRST_ENV

    os.environ.setdefault(STORED_FIRST_ENV, "1")  # a restart shows the stored sample run first
    port = args.port or DEFAULT_PORT
    # Streamlit itself always runs headless: otherwise, on a first run, it stops to ask for an
    # e-mail address on the terminal. The browser is opened here once the server answers.
    command = streamlit_command(port, headless=True)  # checks the app's settings first
    # The first page waits for the helper's audit of the sample: it starts before the address
    # check below. A start refused there ends it again (sample_start stops it when this
    # process exits).
    _start_sample_helper()
    from responsible_ai.store.auth_config import bind_address
    from responsible_ai.store.location import default_store_url

    command.append(f"--server.address={bind_address(args.address, default_store_url())}")
    # The first page shows the sample's report, audited by the helper process on the other core
    # while Streamlit starts; this process audits it (for its data and model) after that page.
    threading.Thread(target=_warm_sample, name="rai-warm-sample", daemon=True).start()
    if not args.headless:
        threading.Thread(
            target=_open_browser, args=(port,), name="rai-open-browser", daemon=True
        ).start()
    from streamlit.web import cli as streamlit_cli

    # Run Streamlit in this process (its own signal handling stops the server cleanly).
    streamlit_cli.main(args=command[3:], prog_name="streamlit")
    return 0


def _open_browser(port: int) -> None:
    import time
    import urllib.request
    import webbrowser

    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=1)
        except OSError:
            time.sleep(0.1)
            continue
        webbrowser.open(f"http://localhost:{port}/")
        return


#: What the first page imports (about a second of CPU), imported while the browser loads the
#: app: pandas, the store (SQLAlchemy), the review state (pydantic policy models), the report's
#: tables, and Streamlit's emoji table (``set_page_config`` checks the page icon against it).
FIRST_PAGE_MODULES = (
    "pandas",
    "responsible_ai.store.store",
    "responsible_ai.checker.evaluate",
    "responsible_ai.review",
    "responsible_ai.report.model",
    "responsible_ai.report.tables",
    "responsible_ai.report.plain",
    "responsible_ai.report.text",
    "streamlit.emojis",
)


def _start_sample_helper() -> None:
    """Start the process that audits the sample for the first page, where it pays off."""
    import contextlib

    from responsible_ai.sample_start import helper_pays_off, start_helper

    if helper_pays_off():
        with contextlib.suppress(OSError):  # no helper: this process audits the sample at once
            start_helper()


def _warm_sample() -> None:
    import contextlib
    import importlib

    from responsible_ai.sample_start import audit_after_first_page, check_stored_sample

    try:
        check_stored_sample()  # a restart: the sample's run in the store, shown first
        for name in FIRST_PAGE_MODULES:
            # Anything (a missing module, an import racing the page's own) is the page's to say.
            with contextlib.suppress(Exception):
                importlib.import_module(name)
    finally:
        audit_after_first_page()  # never raises: the app shows a failure on its first page


def _open_store(target: str | None, create: bool = True) -> Any:
    from responsible_ai.store import ReviewStore
    from responsible_ai.store.submit import store_url

    return ReviewStore(store_url(target) if target else None, create=create)  # a path or a URL


def print_verification(where: str, result: Any, counted: list[tuple[str, str]]) -> int:
    """Print the outcome of a verification (store or ledger); returns the exit code."""
    if not result.ok:
        print(f"BROKEN {where}: {result.problem}")
        return 1
    counts = ", ".join(f"{result.counts.get(table, 0)} {noun}" for table, noun in counted)
    mode = "keyed HMAC-SHA256" if result.mode == "keyed" else "plain SHA-256, no key"
    print(f"ok {where}: {counts}, chain intact ({mode})")
    print(f"head {result.head}")
    if result.warning:
        print(f"warning: {result.warning}", file=sys.stderr)
    return 0


def _cmd_store_verify(args: argparse.Namespace) -> int:
    store = _open_store(args.store, create=False)
    try:
        result = store.verify(args.expect_head)
    finally:
        store.close()
    counted = [
        ("rai_runs", "run(s)"),
        ("rai_findings", "finding(s)"),
        ("rai_reviews", "review(s)"),
        ("rai_users", "user record(s)"),
        ("rai_tokens", "token record(s)"),
    ]
    return print_verification(store.display_url, result, counted)


def print_upgrade(schema: Any, url: str, engine_for: Any) -> int:
    """Upgrade a store or ledger in place and say from which revision to which."""
    from responsible_ai.store.migrate import UP_TO_DATE, UPGRADED, upgrade_url
    from responsible_ai.store.secrets import mask_url

    before, after = upgrade_url(url, schema, engine_for)
    line = UP_TO_DATE if before == after else UPGRADED
    print(line.format(what=schema.what, url=mask_url(url), before=before, after=after))
    return 0


def _cmd_store_upgrade(args: argparse.Namespace) -> int:
    from responsible_ai.store.migrate import STORE
    from responsible_ai.store.store import default_store_url, store_engine
    from responsible_ai.store.submit import store_url

    url = store_url(args.store) if args.store else default_store_url()
    return print_upgrade(STORE, url, store_engine)


def _cmd_store_runs(args: argparse.Namespace) -> int:
    import pandas as pd

    from responsible_ai.store.run_list import run_summaries

    store = _open_store(args.url)
    try:
        # The same state and counts as the app's Overview and History (the review state's own).
        summaries = run_summaries(store, limit=1000)
    finally:
        store.close()
    if not summaries:
        print(f"no runs in {store.display_url}")
        return 0
    table = pd.DataFrame(summaries)
    table["policy"] = (table["policy_name"] + " " + table["policy_version"].fillna("")).str.strip()
    columns = ["id", "created_at", "label", "policy", "verdict", "what_blocks", "review_state"]
    print(table.rename(columns={"id": "run"})[["run", *columns[1:]]].to_string(index=False))
    return 0


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def add_commands(subparsers: Any) -> None:
    """Register ``rai app`` and ``rai store`` with the top-level parser."""
    app = subparsers.add_parser(
        "app",
        help="open the review app (Streamlit) on the audited German credit sample",
        description="Start the Streamlit review app. It opens on the German credit sample "
        "audited with policies/german-credit-lending.yaml.",
    )
    app.add_argument("--port", type=int, help=f"port to serve on (default {DEFAULT_PORT})")
    app.add_argument(
        "--address",
        help="address to listen on (default 127.0.0.1, this machine only; any other address "
        "needs authentication: rai users add, or OIDC in .streamlit/secrets.toml)",
    )
    app.add_argument("--headless", action="store_true", help="do not open a browser")
    app.add_argument("--store-url", help="SQLAlchemy URL of the review store (RAI_STORE_URL)")
    app.set_defaults(handler=_cmd_app)

    store = subparsers.add_parser(
        "store", help="the review store: verify the review chain, upgrade its schema, list runs"
    )
    commands = store.add_subparsers(dest="store_command", metavar="COMMAND")
    store.set_defaults(handler=lambda _args: _usage(store))
    verify = commands.add_parser(
        "verify",
        help="check the chains of runs, findings and reviews; exit 1 naming the first broken "
        "record, 2 if there is no store",
        description="Check every chained table of the review store and its sealed head; print "
        "the head to keep elsewhere. Keyed stores need RAI_STORE_KEY or RAI_STORE_KEY_FILE. "
        "The budget ledger is a separate database: rai budget verify.",
    )
    verify.add_argument(
        "--store",
        "--url",
        dest="store",
        metavar="URL",
        help="SQLAlchemy URL (default: $RAI_STORE_URL or $RAI_HOME/store.sqlite)",
    )
    verify.add_argument(
        "--expect-head",
        metavar="HASH",
        help="the head printed by an earlier verify: a different head now exits 1 (records "
        "deleted from the end, a rollback, or a re-hashed chain)",
    )
    verify.set_defaults(handler=_cmd_store_verify)
    upgrade = commands.add_parser(
        "upgrade",
        help="upgrade the store's schema in place to this version (Alembic)",
        description="Apply the schema migrations this version has and the store has not, in "
        "one transaction. Other commands refuse a store with an older schema and say to run "
        "this. Needs the service extra: pip install 'responsible-ai[service]'.",
    )
    upgrade.add_argument(
        "--store",
        "--url",
        dest="store",
        metavar="URL",
        help="SQLAlchemy URL (default: $RAI_STORE_URL or $RAI_HOME/store.sqlite)",
    )
    upgrade.set_defaults(handler=_cmd_store_upgrade)
    runs = commands.add_parser("runs", help="list the stored runs, newest first")
    runs.add_argument(
        "--store",
        "--url",
        dest="url",
        metavar="URL",
        help="SQLAlchemy URL (default: $RAI_STORE_URL or $RAI_HOME)",
    )
    runs.set_defaults(handler=_cmd_store_runs)
