"""The client side of the HTTP API of ``rai serve`` (contract: ``docs/service.md``).

Standard library only, so a CI job needs nothing else. The bearer token goes only over https, or
plain http to this machine; no redirect is followed (it would carry the token elsewhere);
answers are bounded; every message shows the URL without user, password or query.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from responsible_ai.errors import InputError

__all__ = ["TOKEN_ENV", "api_request", "is_http", "shown_http"]

TOKEN_ENV = "RAI_TOKEN"
TIMEOUT_SECONDS = 30.0
MAX_ANSWER_BYTES = 1 << 20

NO_TOKEN = f"the HTTP API needs a token: set {TOKEN_ENV} (create one with rai tokens add)"
PLAIN_HTTP = (
    "refusing to send the token over plain http to {host}: use https:// (plain http is allowed "
    "only to this machine)"
)
REFUSED = "the API at {url} refused the token (HTTP {status}): check {env} and its role"
NOT_FOUND = "the API at {url} has no {what} (HTTP 404)"
HTTP_FAILED = "the API at {url} answered HTTP {status}: {detail}"
UNREACHABLE = "cannot reach the API at {url}: {reason}"
NOT_JSON = "the API at {url} gave an answer that is not a JSON object"
REDIRECTED = "the API at {url} redirected the request: give the final https:// address"

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_http(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def shown_http(url: str) -> str:
    """An API address safe to print: no user, password or query."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _detail(raw: bytes) -> str:
    try:
        value = json.loads(raw)
        text = str(value.get("detail", value)) if isinstance(value, dict) else str(value)
    except ValueError:
        text = raw.decode("utf-8", errors="replace")
    return " ".join(text.split())[:200] or "no detail"


def api_request(
    target: str,
    path: str,
    body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
    what: str = "such resource",
) -> dict[str, Any]:
    """``POST`` ``body`` (or ``GET`` without one) to ``target`` + ``path``; the JSON answer.

    Raises
    ------
    InputError
        No token, plain http off this machine, a refusal, an error status, a redirect, no
        answer, or an answer that is not a JSON object: one line each.
    """
    token = os.environ.get(TOKEN_ENV, "").strip()
    shown = shown_http(target)
    if not token:
        raise InputError(NO_TOKEN)
    parts = urllib.parse.urlsplit(target)
    if parts.scheme.lower() == "http" and (parts.hostname or "") not in _LOOPBACK:
        raise InputError(PLAIN_HTTP.format(host=parts.hostname))
    host = parts.netloc.rsplit("@", 1)[-1]
    endpoint = f"{parts.scheme}://{host}{parts.path.rstrip('/')}{path}"
    if query:
        endpoint += "?" + urllib.parse.urlencode(query)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body, allow_nan=False, default=str).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(
        endpoint, data=data, headers=headers, method="POST" if body is not None else "GET"
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            raw = answer.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise InputError(REDIRECTED.format(url=shown)) from None
        if exc.code in (401, 403):
            raise InputError(REFUSED.format(url=shown, status=exc.code, env=TOKEN_ENV)) from None
        if exc.code == 404:
            raise InputError(NOT_FOUND.format(url=shown, what=what)) from None
        detail = _detail(exc.read(4096))
        raise InputError(HTTP_FAILED.format(url=shown, status=exc.code, detail=detail)) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise InputError(UNREACHABLE.format(url=shown, reason=reason)) from None
    try:
        if len(raw) > MAX_ANSWER_BYTES:
            raise ValueError("too long")
        value = json.loads(raw)
    except ValueError:
        raise InputError(NOT_JSON.format(url=shown)) from None
    if not isinstance(value, dict):
        raise InputError(NOT_JSON.format(url=shown))
    return value
