"""Who is acting: users with roles, passwords hashed by argon2, API tokens stored hashed.

An :class:`Identity` comes from :func:`authenticate_password` or :func:`authenticate_token`;
the store re-checks it (the user exists, is enabled, the token still counts) in the transaction
that writes a record, so an Identity built by hand names a user but cannot act for a disabled
user or a revoked token. Whoever holds the database file (or its URL) is the operator: the CLI
run with direct database access acts as admin. The one exception to "identity required" is the
*unauthenticated local mode*: while no user exists, :func:`local_identity` (``local:<OS user>``,
role admin) may review; once any user exists the store refuses it.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from responsible_ai.store.store import ReviewStore

__all__ = [
    "LOCAL",
    "ROLES",
    "Identity",
    "hash_password",
    "local_identity",
    "new_token",
    "oidc_identity",
    "parse_token",
    "require_password_quality",
    "verify_password",
]

ROLES: tuple[str, ...] = ("submitter", "reviewer", "admin")
LOCAL = "local"
MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "rai"

NO_ARGON2 = "passwords need argon2-cffi: pip install 'responsible-ai[service]'"
SHORT_PASSWORD = f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters"
BAD_ROLE = "unknown role {role!r}; choose one of " + ", ".join(ROLES)
BAD_CREDENTIALS = "wrong user name or password"
OIDC = "oidc"
OIDC_NO_EMAIL = (
    "your identity provider gave no e-mail address: add the email scope to [auth] in "
    ".streamlit/secrets.toml (client_kwargs), then sign in again"
)
OIDC_UNVERIFIED = "your identity provider has not verified {email}: verify it there, then sign in"
OIDC_NO_USER = (
    "{email} signed in, but the review store has no enabled user of that name: an admin must "
    "run rai users add {email} --role reviewer"
)
BAD_TOKEN = "the token is not valid (unknown, wrong secret, revoked or expired)"
MALFORMED_TOKEN = "the token is malformed: it reads rai_<id>_<secret>, as printed by rai tokens add"
# Compared against when the user is unknown, so that an unknown name costs as much as a known one.
_DUMMY_HASH: list[str] = []


@dataclass(frozen=True)
class Identity:
    """An authenticated actor.

    Attributes
    ----------
    username : str
    role : {"submitter", "reviewer", "admin"}
    via : str
        ``password``, ``token:<id>``, or ``local`` (unauthenticated local mode).
    """

    username: str
    role: str
    via: str

    @property
    def is_local(self) -> bool:
        return self.via == LOCAL

    @property
    def token_id(self) -> str | None:
        return self.via.split(":", 1)[1] if self.via.startswith("token:") else None

    @property
    def label(self) -> str:
        """How the identity shows next to a record."""
        if self.is_local:
            return f"{self.username} (unauthenticated local mode)"
        return f"{self.username} ({self.role})"


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


def local_identity(role: str = "admin") -> Identity:
    """``local:<OS user>``: who acts when the store has no users (or submits to a local store)."""
    return Identity(f"{LOCAL}:{os_user()}", role, LOCAL)


def require_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(BAD_ROLE.format(role=role))
    return role


def _hasher() -> Any:
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise InputError(NO_ARGON2) from None
    return PasswordHasher()


def require_password_quality(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(SHORT_PASSWORD)


def hash_password(password: str) -> str:
    """The argon2id hash of a password (the password itself is never stored)."""
    require_password_quality(password)
    return str(_hasher().hash(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; an unknown user (None) costs one hash all the same."""
    hasher = _hasher()
    from argon2.exceptions import InvalidHashError, VerificationError

    if stored_hash is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hasher.hash(secrets.token_hex(16)))
        stored_hash = _DUMMY_HASH[0]
        password = ""
    try:
        return bool(hasher.verify(stored_hash, password)) and bool(password)
    except (VerificationError, InvalidHashError):
        return False


def secret_sha256(secret: str) -> str:
    # A token secret has 256 random bits: a fast hash is enough (nothing to brute-force).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str, str]:
    """A fresh token: ``(token id, secret, the full token rai_<id>_<secret>)``."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return token_id, secret, f"{TOKEN_PREFIX}_{token_id}_{secret}"


def parse_token(token: str) -> tuple[str, str]:
    """``(token id, secret)`` of a token; refuses anything else."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        raise InputError(MALFORMED_TOKEN)
    return parts[1], parts[2]


def secret_matches(stored: str, secret: str) -> bool:
    return hmac.compare_digest(stored, secret_sha256(secret))


def token_expired(expires_at: str | None, now: datetime | None = None) -> bool:
    if not expires_at:
        return False
    now = now or datetime.now(UTC)
    return now >= datetime.fromisoformat(expires_at)


def oidc_identity(store: ReviewStore, claims: Mapping[str, Any]) -> Identity:
    """The store user an OpenID Connect sign-in (Streamlit's ``st.user``) stands for.

    The provider proves the e-mail address; the store says who that is and what they may do:
    the user named exactly that address (or, failing that, the one user whose name equals it
    ignoring case), enabled, with the role the store gives it. Nobody gets a role from the
    provider, and an address the provider marks unverified is refused.

    Raises
    ------
    InputError
        No e-mail claim, an unverified one, or no (single, enabled) store user of that name.
    """
    from responsible_ai.store.people import users

    email = str(claims.get("email") or "").strip()
    if not email:
        raise InputError(OIDC_NO_EMAIL)
    if claims.get("email_verified") is False:
        raise InputError(OIDC_UNVERIFIED.format(email=email))
    enabled = [user for user in users(store) if not user.disabled]
    found = [user for user in enabled if user.username == email] or [
        user for user in enabled if user.username.casefold() == email.casefold()
    ]
    if len(found) != 1:
        raise InputError(OIDC_NO_USER.format(email=email))
    return Identity(found[0].username, found[0].role, OIDC)
