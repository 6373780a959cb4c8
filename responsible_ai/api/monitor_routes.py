"""The monitors' endpoints: windows, alerts with their evidence, acknowledgements by reviewers.

Same authentication as every other endpoint (a bearer token); reading needs any role,
acknowledging needs reviewer or admin.
"""

from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel

from responsible_ai.errors import InputError

__all__ = ["AcknowledgementIn", "add_monitor_routes"]


class AcknowledgementIn(BaseModel):
    """What a reviewer says about an alert."""

    comment: str


def add_monitor_routes(app: FastAPI, who: Any, store_of: Any, fail: Any) -> None:
    """Register ``/v1/monitors...`` on ``app`` (``who``: the authenticated-identity dependency)."""
    from responsible_ai.store import monitors

    def known(request: Request, name: str) -> Any:
        store = store_of(request)
        if name not in monitors.monitor_names(store):
            raise fail(404, monitors.NO_MONITOR.format(name=name, url="this service"))
        return store

    @app.get("/v1/monitors")
    def list_monitors(request: Request, _who: who) -> dict[str, Any]:
        return {"monitors": monitors.monitor_names(store_of(request))}

    @app.get("/v1/monitors/{name}/windows")
    def monitor_windows(request: Request, name: str, _who: who) -> dict[str, Any]:
        store = known(request, name)
        return {"monitor": name, "windows": monitors.monitor_windows(store, name)}

    @app.get("/v1/monitors/{name}/alerts")
    def monitor_alerts(request: Request, name: str, _who: who) -> dict[str, Any]:
        store = known(request, name)
        return {"monitor": name, "alerts": monitors.monitor_alerts(store, name)}

    @app.post("/v1/monitors/{name}/alerts/{alert_id}/acknowledgements", status_code=201)
    def acknowledge(
        request: Request, name: str, alert_id: int, body: AcknowledgementIn, identity: who
    ) -> dict[str, Any]:
        store = known(request, name)
        try:
            return monitors.acknowledge_alert(store, name, alert_id, body.comment, identity)
        except InputError as exc:
            refused = str(exc) == monitors.ACK_ROLE.format(user=identity.username)
            raise fail(403 if refused else 400, str(exc)) from None
