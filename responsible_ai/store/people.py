"""Users and tokens of a review store: chained, append-only records, and authentication.

A change is a new record (disabling a user, revoking a token), so the chain never needs a
rewrite and the history of who could act when stays verifiable (``rai store verify``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from responsible_ai.errors import InputError
from responsible_ai.store.head import save_state
from responsible_ai.store.identity import (
    BAD_CREDENTIALS,
    BAD_TOKEN,
    LOCAL,
    Identity,
    hash_password,
    new_token,
    parse_token,
    require_role,
    secret_matches,
    secret_sha256,
    token_expired,
    verify_password,
)
from responsible_ai.store.tables import HEAD, TokenRow, UserRow

if TYPE_CHECKING:
    from responsible_ai.store.store import ReviewStore

__all__ = [
    "TokenInfo",
    "UserInfo",
    "add_token",
    "add_user",
    "authenticate_password",
    "authenticate_token",
    "current_identity",
    "disable_user",
    "has_users",
    "revoke_token",
    "tokens",
    "users",
]

FIRST_MUST_BE_ADMIN = (
    "the first user of a store must be an admin (bootstrap): rai users add NAME --role admin"
)
USER_EXISTS = "user {name!r} already exists"
NO_USER = "no user {name!r} in the store; list them with rai users list"
NO_TOKEN = "no token {id!r} in the store; list them with rai tokens list"
USER_DISABLED = "user {name!r} is disabled"
BAD_NAME = "a user name is 1 to 100 letters, digits or . _ - @ (and may not start with 'local:')"
LOCAL_REFUSED = "this store has users: sign in (unauthenticated local mode ends once a user exists)"
TOKEN_ROLE_ABOVE_USER = "a token cannot have a role above its user's ({role})"
_RANK = {"submitter": 0, "reviewer": 1, "admin": 2}


@dataclass(frozen=True)
class UserInfo:
    username: str
    display_name: str
    role: str
    disabled: bool
    created_at: str


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    username: str
    role: str
    created_at: str
    expires_at: str | None
    revoked: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _valid_name(name: str) -> str:
    name = name.strip()
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
    if not name or len(name) > 100 or not set(name) <= allowed or name.startswith(f"{LOCAL}:"):
        raise InputError(BAD_NAME)
    return name


def _latest_users(session: Session) -> dict[str, UserRow]:
    latest: dict[str, UserRow] = {}
    for row in session.scalars(select(UserRow).order_by(UserRow.seq)).all():
        latest[row.username] = row
    return latest


def _latest_token(session: Session, token_id: str) -> TokenRow | None:
    query = select(TokenRow).where(TokenRow.token_id == token_id).order_by(TokenRow.seq.desc())
    return session.scalars(query).first()


def has_users(store: ReviewStore, session: Session | None = None) -> bool:
    """Whether any user exists (then unauthenticated local mode is over)."""
    if session is not None:
        return bool(session.scalar(select(func.count()).select_from(UserRow)))
    with Session(store.engine) as own:
        return bool(own.scalar(select(func.count()).select_from(UserRow)))


def _append(
    store: ReviewStore, table: str, row_class: Any, build: Callable[[Session], dict[str, Any]]
) -> dict[str, Any]:
    """Append one chained record; ``build`` checks the request and returns the record's content
    inside the writing transaction, so that the check and the write see the same state."""

    def write() -> dict[str, Any]:
        with Session(store.engine) as session, session.begin():
            content = build(session)
            state = store._state(session.connection())
            record = state.next(store._key, table, content)
            session.add(row_class(**record))
            session.flush()
            save_state(session.connection(), HEAD, store._key, state)
            return record

    return dict(store._write(write))


def add_user(
    store: ReviewStore,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
    actor: str = "",
) -> UserInfo:
    """Add a user; the first user of a store must be an admin."""
    name = _valid_name(username)
    require_role(role)
    password_hash = hash_password(password)

    def build(session: Session) -> dict[str, Any]:
        existing = _latest_users(session)
        if name in existing:
            raise InputError(USER_EXISTS.format(name=name))
        if not existing and role != "admin":
            raise InputError(FIRST_MUST_BE_ADMIN)
        return {
            "username": name,
            "display_name": display_name.strip(),
            "role": role,
            "password_hash": password_hash,
            "disabled": 0,
            "created_at": _now().isoformat(timespec="seconds"),
            "changed_by": actor,
        }

    record = _append(store, "rai_users", UserRow, build)
    return UserInfo(name, record["display_name"], role, False, record["created_at"])


def disable_user(store: ReviewStore, username: str, actor: str = "") -> None:
    """Disable a user: a new version of the user with ``disabled`` set."""

    def build(session: Session) -> dict[str, Any]:
        row = _latest_users(session).get(username)
        if row is None:
            raise InputError(NO_USER.format(name=username))
        return {
            "username": row.username,
            "display_name": row.display_name,
            "role": row.role,
            "password_hash": row.password_hash,
            "disabled": 1,
            "created_at": _now().isoformat(timespec="seconds"),
            "changed_by": actor,
        }

    _append(store, "rai_users", UserRow, build)


def users(store: ReviewStore) -> list[UserInfo]:
    with Session(store.engine) as session:
        return [
            UserInfo(r.username, r.display_name, r.role, bool(r.disabled), r.created_at)
            for r in _latest_users(session).values()
        ]


def add_token(
    store: ReviewStore,
    username: str,
    role: str | None = None,
    expires_days: float | None = None,
    actor: str = "",
) -> tuple[TokenInfo, str]:
    """A new token for ``username`` (role: the user's, or lower); returns it with the full
    token text, which is shown once and never stored."""
    token_id, secret, token = new_token()
    now = _now()
    expires = (now + timedelta(days=expires_days)).isoformat() if expires_days else None

    def build(session: Session) -> dict[str, Any]:
        user = _latest_users(session).get(username)
        if user is None:
            raise InputError(NO_USER.format(name=username))
        if user.disabled:
            raise InputError(USER_DISABLED.format(name=username))
        scope = require_role(role) if role else user.role
        if _RANK[scope] > _RANK[user.role]:
            raise InputError(TOKEN_ROLE_ABOVE_USER.format(role=user.role))
        return {
            "token_id": token_id,
            "secret_sha256": secret_sha256(secret),
            "username": username,
            "role": scope,
            "created_at": now.isoformat(timespec="seconds"),
            "expires_at": expires,
            "revoked": 0,
            "changed_by": actor,
        }

    record = _append(store, "rai_tokens", TokenRow, build)
    info = TokenInfo(token_id, username, record["role"], record["created_at"], expires, False)
    return info, token


def revoke_token(store: ReviewStore, token_id: str, actor: str = "") -> None:
    """Revoke a token: a new version of it with ``revoked`` set."""

    def build(session: Session) -> dict[str, Any]:
        row = _latest_token(session, token_id)
        if row is None:
            raise InputError(NO_TOKEN.format(id=token_id))
        return {
            "token_id": row.token_id,
            "secret_sha256": row.secret_sha256,
            "username": row.username,
            "role": row.role,
            "created_at": _now().isoformat(timespec="seconds"),
            "expires_at": row.expires_at,
            "revoked": 1,
            "changed_by": actor,
        }

    _append(store, "rai_tokens", TokenRow, build)


def tokens(store: ReviewStore) -> list[TokenInfo]:
    with Session(store.engine) as session:
        latest: dict[str, TokenRow] = {}
        for row in session.scalars(select(TokenRow).order_by(TokenRow.seq)).all():
            latest[row.token_id] = row
        return [
            TokenInfo(r.token_id, r.username, r.role, r.created_at, r.expires_at, bool(r.revoked))
            for r in latest.values()
        ]


def authenticate_password(store: ReviewStore, username: str, password: str) -> Identity:
    """The identity of an enabled user whose password matches; one message for every failure
    (unknown user, wrong password, disabled), so that names cannot be probed."""
    with Session(store.engine) as session:
        row = _latest_users(session).get(username.strip())
    matches = verify_password(row.password_hash if row else None, password)
    if row is None or not matches or row.disabled:
        raise InputError(BAD_CREDENTIALS)
    return Identity(row.username, row.role, "password")


def _token_identity(session: Session, token_id: str, secret: str | None) -> Identity:
    row = _latest_token(session, token_id)
    if row is None or row.revoked or token_expired(row.expires_at):
        raise InputError(BAD_TOKEN)
    if secret is not None and not secret_matches(row.secret_sha256, secret):
        raise InputError(BAD_TOKEN)
    user = _latest_users(session).get(row.username)
    if user is None or user.disabled or _RANK[row.role] > _RANK[user.role]:
        raise InputError(BAD_TOKEN)
    return Identity(row.username, row.role, f"token:{row.token_id}")


def authenticate_token(store: ReviewStore, token: str) -> Identity:
    """The identity a token ``rai_<id>_<secret>`` stands for, with the token's role."""
    token_id, secret = parse_token(token)
    with Session(store.engine) as session:
        return _token_identity(session, token_id, secret)


def current_identity(session: Session, identity: Identity) -> Identity:
    """``identity`` as it stands now, inside a writing transaction: the user still exists and
    is enabled, the token still counts; the role comes from the store, not from the caller.
    Local mode only while the store has no users."""
    if identity.is_local:
        if session.scalar(select(func.count()).select_from(UserRow)):
            raise InputError(LOCAL_REFUSED)
        return identity
    token_id = identity.token_id
    if token_id is not None:
        found = _token_identity(session, token_id, None)
        if found.username != identity.username:
            raise InputError(BAD_TOKEN)
        return found
    user = _latest_users(session).get(identity.username)
    if user is None or user.disabled:
        raise InputError(BAD_CREDENTIALS)
    return Identity(user.username, user.role, identity.via)
