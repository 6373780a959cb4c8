"""``rai users``, ``rai tokens`` and ``rai gate``: who may act on a store, and may a run ship.

Whoever runs these with direct access to the store's database is its operator and acts as admin
(the database holder can write anything anyway; the keyed chain makes that evident). The first
user of a store must be an admin. Only the standard library at the top: ``rai --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["add_commands"]

NEW_PASSWORD_ENV = "RAI_NEW_PASSWORD"
NO_PASSWORD = (
    "no password given: use --password-file FILE, set RAI_NEW_PASSWORD, or run in a terminal "
    "to be prompted"
)
PASSWORDS_DIFFER = "the two passwords differ"
EMPTY_PASSWORD_FILE = "the password file {path} is empty"
#: ``identity.ROLES``, spelled out: importing the store package here would load SQLAlchemy.
ROLES = ("submitter", "reviewer", "admin")
_STORE_HELP = (
    "the store: a SQLite file path or a SQLAlchemy URL (default: $RAI_STORE_URL or "
    "$RAI_HOME/store.sqlite)"
)
_GATE_STORE_HELP = _STORE_HELP + ", or https://host of the API (token in $RAI_TOKEN)"
NO_STORE = (
    "no review store at {url}: the file does not exist; give the store's path or URL with "
    "--store (or set RAI_STORE_URL)"
)
BAD_AS_OF = "--as-of is a date (YYYY-MM-DD) of today (UTC) or later, not {given!r}"
PAST_AS_OF = (
    "--as-of {given} is before today ({today}, UTC): the gate looks ahead to see a waiver "
    "expire, never back"
)
REMOTE_AS_OF = "--as-of needs the store itself (--store URL); the API gates as of today"


def _store(target: str | None, create: bool = True) -> Any:
    """The store ``--store`` names: a path or a URL, as everywhere ``--store`` appears; a
    command that only reads or amends one refuses a file that does not exist."""
    from responsible_ai.errors import InputError
    from responsible_ai.store import ReviewStore
    from responsible_ai.store.head import missing_sqlite_file
    from responsible_ai.store.secrets import mask_url
    from responsible_ai.store.store import default_store_url
    from responsible_ai.store.submit import store_url

    url = store_url(target) if target else default_store_url()
    if not create and missing_sqlite_file(url):
        raise InputError(NO_STORE.format(url=mask_url(url)))
    return ReviewStore(url, create=create)


def _operator() -> str:
    from responsible_ai.store.identity import local_identity

    return local_identity().username


def _password(args: argparse.Namespace) -> str:
    from responsible_ai.errors import InputError

    if args.password_file:
        from pathlib import Path

        try:
            text = Path(args.password_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the password file {args.password_file}: {exc}") from None
        password = text.splitlines()[0] if text.splitlines() else ""
        if not password:
            raise InputError(EMPTY_PASSWORD_FILE.format(path=args.password_file))
        return password
    from_env = os.environ.get(NEW_PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise InputError(NO_PASSWORD)
    import getpass

    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise InputError(PASSWORDS_DIFFER)
    return first


def _cmd_users_add(args: argparse.Namespace) -> int:
    from responsible_ai.store.identity import require_password_quality, require_role
    from responsible_ai.store.people import add_user

    require_role(args.role)
    password = _password(args)
    require_password_quality(password)
    with _store(args.store) as store:
        user = add_user(store, args.name, args.role, password, args.display_name, _operator())
    print(f"added user {user.username} ({user.role}) to {store.display_url}")
    return 0


def _cmd_users_list(args: argparse.Namespace) -> int:
    from responsible_ai.report.escaping import escape_terminal
    from responsible_ai.store.people import users

    with _store(args.store, create=False) as store:
        found = users(store)
    if not found:
        print(f"no users in {store.display_url} (unauthenticated local mode)")
    for user in found:
        state = "disabled" if user.disabled else "enabled"
        name = escape_terminal(user.display_name)
        print(f"{user.username}\t{user.role}\t{state}\t{user.created_at}\t{name}")
    return 0


def _cmd_users_disable(args: argparse.Namespace) -> int:
    from responsible_ai.store.people import disable_user

    with _store(args.store, create=False) as store:
        disable_user(store, args.name, _operator())
    print(f"disabled user {args.name}")
    return 0


def _cmd_tokens_add(args: argparse.Namespace) -> int:
    from responsible_ai.errors import InputError
    from responsible_ai.store.people import add_token

    if args.expires is not None and not 0 < args.expires <= 3650:
        raise InputError("--expires is a number of days between 0 and 3650")
    with _store(args.store, create=False) as store:
        info, token = add_token(store, args.user, args.role, args.expires, _operator())
    until = info.expires_at or "never"
    print(
        f"token {info.token_id} for {info.username} ({info.role}), expires {until}", file=sys.stderr
    )
    print("shown once, store it now (it cannot be recovered):", file=sys.stderr)
    print(token)
    return 0


def _cmd_tokens_list(args: argparse.Namespace) -> int:
    from responsible_ai.store.people import tokens

    with _store(args.store, create=False) as store:
        found = tokens(store)
    if not found:
        print(f"no tokens in {store.display_url}")
    for token in found:
        state = "revoked" if token.revoked else "active"
        print(
            f"{token.token_id}\t{token.username}\t{token.role}\t{state}\t"
            f"created {token.created_at}\texpires {token.expires_at or 'never'}"
        )
    return 0


def _cmd_tokens_revoke(args: argparse.Namespace) -> int:
    from responsible_ai.store.people import revoke_token

    with _store(args.store, create=False) as store:
        revoke_token(store, args.token_id, _operator())
    print(f"revoked token {args.token_id}")
    return 0


def _cmd_gate(args: argparse.Namespace) -> int:
    from responsible_ai.errors import InputError
    from responsible_ai.report.escaping import escape_terminal
    from responsible_ai.store.gate import gate, latest_run_id

    if (args.run_id is None) == (not args.latest):
        raise InputError("give a RUN_ID, or --latest with --policy (and --model-sha)")
    if args.latest and not args.policy:
        raise InputError("--latest needs --policy NAME (and --model-sha SHA)")
    if args.timeout < 0 or args.interval <= 0:
        raise InputError("--timeout must be >= 0 and --interval > 0 seconds")
    from responsible_ai.store.api_client import is_http

    as_of = _as_of(args.as_of)
    if as_of is not None and args.store and is_http(args.store):
        raise InputError(REMOTE_AS_OF)
    if args.store and is_http(args.store):  # the API of rai serve, token in $RAI_TOKEN
        from responsible_ai.store.gate import remote_gate, remote_latest

        target = args.store
        remote_id = args.run_id
        if remote_id is None:
            remote_id = remote_latest(target, args.policy, args.model_sha)
        result = _decide(lambda: remote_gate(target, remote_id), args)
    else:
        store = _store(args.store, create=False)
        try:
            run_id = args.run_id
            if run_id is None:
                run_id = latest_run_id(store, args.policy, args.model_sha)
            result = _decide(lambda: gate(store, run_id, as_of), args)
        finally:
            store.close()
    stream = sys.stdout if result.code == 0 else sys.stderr
    print(escape_terminal(result.message), file=stream)
    return result.code


def _as_of(given: str | None) -> Any:
    """The day to gate as of: today unless given; never a past day (which could revive an
    expired waiver), so the option can only close a gate that today would open."""
    if given is None:
        return None
    from datetime import date

    from responsible_ai.errors import InputError
    from responsible_ai.review import today_utc

    try:
        day = date.fromisoformat(given)
    except ValueError:
        raise InputError(BAD_AS_OF.format(given=given[:40])) from None
    if day < today_utc():
        raise InputError(PAST_AS_OF.format(given=day, today=today_utc()))
    return day


def _decide(check: Any, args: argparse.Namespace) -> Any:
    from responsible_ai.store.gate import wait_for_gate

    return wait_for_gate(check, args.timeout, args.interval) if args.wait else check()


def _store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", "--url", dest="store", metavar="URL", help=_STORE_HELP)


def add_commands(subparsers: Any) -> None:
    """Register ``rai users``, ``rai tokens`` and ``rai gate``."""
    users = subparsers.add_parser(
        "users",
        help="people of a review store: add, list, disable (the operator acts as admin)",
        description="Users of the review store. Whoever runs this with the store's database "
        "acts as admin; the first user must be an admin.",
    )
    users_commands = users.add_subparsers(dest="users_command", metavar="COMMAND")
    users.set_defaults(handler=lambda _args: _usage(users))
    add = users_commands.add_parser("add", help="add a user with a role and a password")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--display-name", default="", help="the name shown next to their reviews")
    add.add_argument(
        "--password-file",
        metavar="FILE",
        help="read the password from the first line of FILE (else $RAI_NEW_PASSWORD, else a "
        "prompt); at least 12 characters",
    )
    _store_argument(add)
    add.set_defaults(handler=_cmd_users_add)
    listed = users_commands.add_parser("list", help="list users and their roles")
    _store_argument(listed)
    listed.set_defaults(handler=_cmd_users_list)
    disable = users_commands.add_parser("disable", help="disable a user (kept in the chain)")
    disable.add_argument("name")
    _store_argument(disable)
    disable.set_defaults(handler=_cmd_users_disable)

    tokens = subparsers.add_parser(
        "tokens", help="API tokens: add (printed once), list, revoke; stored hashed"
    )
    tokens_commands = tokens.add_subparsers(dest="tokens_command", metavar="COMMAND")
    tokens.set_defaults(handler=lambda _args: _usage(tokens))
    token_add = tokens_commands.add_parser("add", help="a new token for a user, printed once")
    token_add.add_argument("--user", required=True)
    token_add.add_argument("--role", choices=ROLES, help="scope: the user's role or lower")
    token_add.add_argument("--expires", type=float, metavar="DAYS", help="expire after DAYS")
    _store_argument(token_add)
    token_add.set_defaults(handler=_cmd_tokens_add)
    token_list = tokens_commands.add_parser("list", help="list tokens (never their secrets)")
    _store_argument(token_list)
    token_list.set_defaults(handler=_cmd_tokens_list)
    revoke = tokens_commands.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", metavar="ID")
    _store_argument(revoke)
    revoke.set_defaults(handler=_cmd_tokens_revoke)

    gate = subparsers.add_parser(
        "gate",
        help="exit 0 only if a run is approved and its waivers are valid; 1 otherwise",
        description="The release gate: exit 0 when the run is approved and every waiver it "
        "relies on is valid today; 1 when rejected, pending or a waiver expired; 2 on bad "
        "input.",
    )
    gate.add_argument("run_id", nargs="?", type=int, metavar="RUN_ID")
    gate.add_argument("--latest", action="store_true", help="the newest run of --policy")
    gate.add_argument("--policy", metavar="NAME", help="policy name (with --latest)")
    gate.add_argument("--model-sha", metavar="SHA", help="model file SHA-256 (with --latest)")
    gate.add_argument("--wait", action="store_true", help="poll until the run is decided")
    gate.add_argument("--timeout", type=float, default=3600.0, help="seconds (default 3600)")
    gate.add_argument("--interval", type=float, default=30.0, help="seconds (default 30)")
    gate.add_argument("--store", "--url", dest="store", metavar="URL", help=_GATE_STORE_HELP)
    gate.add_argument(
        "--as-of",
        metavar="DATE",
        help="decide as of DATE (YYYY-MM-DD, today or later): would the waivers still hold then?",
    )
    gate.set_defaults(handler=_cmd_gate)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2
