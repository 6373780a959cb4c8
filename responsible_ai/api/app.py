"""The HTTP API of ``rai serve`` over one review store (contract: ``docs/service.md``).

Thin on purpose: every route authenticates the bearer token with the store
(``authenticate_token``) and calls the store or the library; four eyes, chaining and the gate are
the store's. The token is never logged nor echoed; every error is ``{"detail": "one line"}`` and
no traceback leaves the server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from responsible_ai.errors import InputError
from responsible_ai.store.identity import Identity
from responsible_ai.store.store import OWN_RUN, SUBMITTER_CANNOT_REVIEW, ReviewStore

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_LIST = 500
#: Server-side audits at once (each a CPU-bound audit over files of up to --max-upload-mb);
#: more are answered 503 with Retry-After, so a burst of uploads cannot exhaust the server.
MAX_CONCURRENT_AUDITS = 2

NO_TOKEN = "missing bearer token: send Authorization: Bearer rai_<id>_<secret> (rai tokens add)"
BAD_TOKEN = "the token is not valid (malformed, unknown, wrong secret, revoked or expired)"
ROLE_REFUSED = "a {role} token cannot {action}: it needs the role {needed}"
TOO_LARGE = "the request body is larger than {limit} bytes"
NOT_JSON = "the request body is not a JSON object: {reason}"
BAD_SUBMISSION = "the submission is not valid: {reason}"
BAD_REPORT = "the report does not match the report JSON schema: {reason}"
NO_RUN = "no run {run_id}"
INTERNAL = "internal error: the server log has the details"
BUSY = "the server is running {limit} audits already; retry in a few seconds"
BAD_UPLOAD_LIMIT = "--max-upload-mb must be a whole number of megabytes >= 1; got {value}"


class Submission(BaseModel):
    """``POST /v1/runs``: a JSON report, the text of its policy files, where it came from."""

    report: dict[str, Any]
    policy_text: dict[str, str] = Field(default_factory=dict)
    provenance: dict[str, str] = Field(default_factory=dict)


class ReviewIn(BaseModel):
    """``POST /v1/runs/{id}/reviews``; the reviewer is the token's user, never a field."""

    decision: str
    comment: str = ""
    check_id: str | None = None
    justification: str = ""
    expires_on: date | None = None


def _one_line(text: object, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def _fail(status: int, detail: str) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return HTTPException(status, _one_line(detail), headers=headers)


def _store(request: Request) -> ReviewStore:
    store: ReviewStore = request.app.state.store
    return store


def _identity(request: Request) -> Identity:
    from responsible_ai.store.people import authenticate_token

    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _fail(401, NO_TOKEN)
    try:
        return authenticate_token(_store(request), token.strip())
    except InputError:
        raise _fail(401, BAD_TOKEN) from None


Who = Annotated[Identity, Depends(_identity)]


def _require(identity: Identity, roles: tuple[str, ...], action: str) -> None:
    if identity.role not in roles:
        needed = " or ".join(roles)
        raise _fail(403, ROLE_REFUSED.format(role=identity.role, action=action, needed=needed))


def _known(store: ReviewStore, run_id: int) -> dict[str, Any]:
    try:
        return store.run_record(run_id)
    except InputError:
        raise _fail(404, NO_RUN.format(run_id=run_id)) from None


async def _bounded_body(request: Request) -> bytes:
    """The body, refused past :data:`MAX_BODY_BYTES` whatever Content-Length claims."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _fail(413, TOO_LARGE.format(limit=MAX_BODY_BYTES))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _fail(413, TOO_LARGE.format(limit=MAX_BODY_BYTES))
        chunks.append(chunk)
    return b"".join(chunks)


def _report_of(data: dict[str, Any]) -> Any:
    """The report of a submission, checked against the published JSON Schema first."""
    import jsonschema

    from responsible_ai.report import Report, report_json_schema

    schema = report_json_schema()
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(data)
    )
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "report"
        raise _fail(422, BAD_REPORT.format(reason=f"{where}: {error.message}"))
    try:
        return Report.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(422, BAD_REPORT.format(reason=f"{type(exc).__name__}: {exc}")) from None


def _form_schema() -> dict[str, Any]:
    from responsible_ai.api.upload_form import FORM_FIELDS

    binary = {"data", "model"}
    properties = {
        name: {"type": "string", "description": text}
        | ({"format": "binary"} if name in binary else {})
        for name, text in FORM_FIELDS.items()
    }
    return {"type": "object", "required": ["data"], "properties": properties}


async def _audit_and_store(request: Request, who: Identity) -> dict[str, Any]:
    """A form of data, model and policy: audited here (in a worker thread, so that /healthz
    and other requests go on), then stored like a submitted report."""
    from starlette.concurrency import run_in_threadpool

    from responsible_ai.api.upload_audit import audit_form
    from responsible_ai.api.upload_form import UploadRefused, read_audit_form
    from responsible_ai.store.submit import app_url

    state = request.app.state
    if state.audits_running >= MAX_CONCURRENT_AUDITS:
        # Refused before the body is read: waiting forms would each hold their files in memory.
        raise HTTPException(503, BUSY.format(limit=MAX_CONCURRENT_AUDITS), {"Retry-After": "10"})
    state.audits_running += 1  # on the event loop: no other task runs between check and count
    try:
        form = await read_audit_form(request, state.upload_limits)
        report, policy_text = await run_in_threadpool(audit_form, form)
    except UploadRefused as exc:
        raise _fail(exc.status, str(exc)) from None
    finally:
        state.audits_running -= 1
    provenance = {**form.provenance, "submitted_as": "upload audited by the server"}
    run_id = await run_in_threadpool(
        _store(request).save_run,
        report,
        form.label or form.data.name,  # as the app labels an uploaded file
        submitter=who,
        policy_text=policy_text,
        provenance=provenance,
    )
    return {"id": run_id, "url": app_url(run_id), "verdict": report.verdict}


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"detail": _one_line(exc.detail)}, exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        detail = f"invalid request: {where}: {first.get('msg', 'not valid')}"
        return JSONResponse({"detail": _one_line(detail)}, 422)

    @app.exception_handler(InputError)
    async def _input(_request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": _one_line(exc)}, 400)

    @app.exception_handler(Exception)
    async def _internal(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": INTERNAL}, 500)


def create_app(store_url: str | None = None, max_upload_mb: int | None = None) -> FastAPI:
    """The API over the store at ``store_url`` (default: ``$RAI_STORE_URL``, else the local one).

    ``max_upload_mb`` bounds each file of a server-side audit (default
    :data:`~responsible_ai.api.upload_form.DEFAULT_MAX_UPLOAD_MB`); the whole form may hold
    twice that. The store is opened now, so that a bad URL or key fails at start, in one line.
    """
    from responsible_ai.api.upload_form import DEFAULT_MAX_UPLOAD_MB, UploadLimits

    megabytes = DEFAULT_MAX_UPLOAD_MB if max_upload_mb is None else max_upload_mb
    if megabytes < 1:
        raise InputError(BAD_UPLOAD_LIMIT.format(value=megabytes))
    store = ReviewStore(store_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="responsible-ai review API",
        version="1",
        description="Submit runs, review them (four eyes) and ask the release gate.",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.upload_limits = UploadLimits.of_megabytes(megabytes)
    app.state.audits_running = 0
    _add_handlers(app)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/v1/runs",
        status_code=201,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": Submission.model_json_schema()},
                    "multipart/form-data": {"schema": _form_schema()},
                },
            }
        },
    )
    async def submit_run(request: Request, who: Who) -> dict[str, Any]:
        from starlette.concurrency import run_in_threadpool

        from responsible_ai.store.submit import app_url

        _require(who, ("submitter", "admin"), "submit runs")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type and content_type != "application/json":
            # Anything but JSON is a form to audit here (or refused by read_audit_form: 415).
            return await _audit_and_store(request, who)
        raw = await _bounded_body(request)
        try:
            submission = Submission.model_validate(json.loads(raw))
        except RecursionError:
            raise _fail(400, NOT_JSON.format(reason="nested too deeply")) from None
        except ValueError as exc:  # json.JSONDecodeError and pydantic's ValidationError
            raise _fail(422, BAD_SUBMISSION.format(reason=_one_line(exc, 200))) from None
        report = _report_of(submission.report)
        run_id = await run_in_threadpool(
            _store(request).save_run,
            report,
            submitter=who,
            policy_text=submission.policy_text,
            provenance=submission.provenance,
        )
        return {"id": run_id, "url": app_url(run_id)}

    @app.get("/v1/runs")
    def list_runs(
        request: Request,
        _who: Who,
        policy: str | None = None,
        model_sha: str | None = None,
        state: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
        before_id: Annotated[int | None, Query(ge=1)] = None,
    ) -> dict[str, Any]:
        """Newest first, from the runs' summary columns (no report is read). Page with
        ``before_id`` (the ``next_before_id`` of the previous page) or ``offset``."""
        from responsible_ai.store.run_list import run_summaries

        runs = run_summaries(
            _store(request),
            limit=limit,
            offset=offset,
            before_id=before_id,
            policy=policy,
            model_sha=model_sha,
            state=state,
        )
        more = len(runs) == limit
        return {"runs": runs, "next_before_id": runs[-1]["id"] if runs and more else None}

    @app.get("/v1/runs/{run_id}", response_model=None)
    def show_run(request: Request, run_id: int, _who: Who) -> Any:
        store = _store(request)
        _known(store, run_id)
        report = store.report(run_id)
        if "text/html" in request.headers.get("accept", ""):
            from responsible_ai.report.html import render_html
            from responsible_ai.review import run_review_state

            reviews = store.reviews(run_id)
            state = run_review_state(report, reviews)
            return HTMLResponse(render_html(report, reviews, state))
        return JSONResponse(json.loads(report.to_json(indent=None)))

    @app.post("/v1/runs/{run_id}/reviews", status_code=201)
    def review_run(request: Request, run_id: int, body: ReviewIn, who: Who) -> dict[str, Any]:
        from responsible_ai.review import Review

        store = _store(request)
        _known(store, run_id)
        review = Review(
            run_id=run_id,
            decision=body.decision,
            reviewer="",
            comment=body.comment,
            check_id=body.check_id,
            justification=body.justification,
            expires_on=body.expires_on,
        )
        try:
            stored = store.add_review(review, who)
        except InputError as exc:
            refused = (
                SUBMITTER_CANNOT_REVIEW.format(user=who.username),
                OWN_RUN.format(user=who.username, run=run_id, decision=body.decision),
            )
            raise _fail(403 if str(exc) in refused else 400, str(exc)) from None
        return stored.to_dict()

    @app.get("/v1/runs/{run_id}/gate")
    def run_gate(request: Request, run_id: int, _who: Who) -> dict[str, Any]:
        from responsible_ai.store.gate import gate

        store = _store(request)
        _known(store, run_id)
        result = gate(store, run_id)
        return {"state": result.state, "code": result.code, "message": result.message}

    from responsible_ai.api.monitor_routes import add_monitor_routes

    add_monitor_routes(app, Who, _store, _fail)
    return app
