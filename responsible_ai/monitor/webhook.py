"""Alerts posted to a webhook: a JSON body with a Slack-compatible ``text``, retried with backoff.

The URL comes from the policy (``monitoring.webhook.url``) or, better, from an environment
variable (``url_env``), since webhook URLs carry their token in the path. A URL is never printed
whole: :func:`mask_url` keeps the scheme and host only.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from responsible_ai.errors import InputError

if TYPE_CHECKING:
    from responsible_ai.monitor.settings import WebhookSettings

__all__ = ["BAD_URL", "NO_URL", "WebhookError", "alert_payload", "mask_url", "post_alerts"]

NO_URL = "monitoring.webhook names {env}, which is not set: export it, or remove the webhook"
BAD_URL = "the webhook URL must be http:// or https://; got {url}"
FAILED = "webhook {url} failed after {attempts} attempt(s): {reason}"


class WebhookError(InputError):
    """The webhook could not be reached (the alerts are still in the report and the exit code)."""


def mask_url(url: str) -> str:
    """``https://hooks.example/T000/B000/secret`` -> ``https://hooks.example/…``."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def webhook_url(settings: WebhookSettings) -> str:
    """The URL to post to (the environment variable wins)."""
    if settings.url_env:
        url = os.environ.get(settings.url_env)
        if not url:
            raise InputError(NO_URL.format(env=settings.url_env))
    elif settings.url:
        url = settings.url
    else:
        raise InputError("monitoring.webhook needs url or url_env")
    if urlsplit(url).scheme not in ("http", "https"):
        raise InputError(BAD_URL.format(url=mask_url(url)))
    return url


def alert_payload(report: Any, monitor_name: str) -> dict[str, Any]:
    """The body: ``text`` for Slack, and every fired alert with its evidence's key facts."""
    fired = [f for f in report.checks if f.status in ("fail", "warn", "error")]
    lines = [f"rai monitor {monitor_name}: {len(fired)} alert(s)"]
    lines += [f"• {f.status.upper()} {f.severity} {f.id}: {f.message}" for f in fired]
    return {
        "text": "\n".join(lines),
        "monitor": monitor_name,
        "verdict": report.verdict,
        "alerts": [
            {
                "id": f.id,
                "status": f.status,
                "severity": f.severity,
                "message": f.message,
                "alert_window": f.evidence.get("alert_window"),
            }
            for f in fired
        ],
    }


def post_alerts(
    settings: WebhookSettings, payload: dict[str, Any], *, sleep: Any = time.sleep
) -> int:
    """POST ``payload`` as JSON; retries ``settings.retries`` times (1 s, 2 s, 4 s ...).

    Returns
    -------
    int
        The attempts made.

    Raises
    ------
    WebhookError
        Every attempt failed (timeout, refused, or an HTTP status >= 400).
    """
    url = webhook_url(settings)
    body = json.dumps(payload).encode("utf-8")
    reason = ""
    for attempt in range(settings.retries + 1):
        if attempt:
            sleep(2 ** (attempt - 1))
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.timeout) as response:
                if response.status < 400:
                    return attempt + 1
                reason = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = type(exc).__name__ if not str(exc) else str(getattr(exc, "reason", exc))
    masked = mask_url(url)
    raise WebhookError(
        FAILED.format(url=masked, attempts=settings.retries + 1, reason=reason.replace(url, masked))
    )
