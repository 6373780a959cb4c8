"""``rai serve``: the HTTP API under uvicorn. Only the standard library at the top: ``rai
--help`` stays fast, and the command says how to install FastAPI when it is missing."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_commands"]

NO_SERVER = "rai serve needs FastAPI and uvicorn: pip install 'responsible-ai[service]' ({missing})"
BAD_PORT = "--port must be between 1 and 65535"


def _cmd_serve(args: argparse.Namespace) -> int:
    from responsible_ai.errors import InputError

    if not 0 < args.port < 65536:
        raise InputError(BAD_PORT)
    try:
        import uvicorn

        from responsible_ai.api.app import create_app
    except ImportError as exc:
        raise InputError(NO_SERVER.format(missing=exc.name)) from None
    from responsible_ai.store.auth_config import bind_address
    from responsible_ai.store.store import default_store_url
    from responsible_ai.store.submit import store_url

    url = store_url(args.store) if args.store else default_store_url()
    host = bind_address(args.address, url)
    app = create_app(url, max_upload_mb=args.max_upload_mb)
    # One worker: the store serialises its writers itself; the token travels only in a header,
    # which uvicorn's access log does not record.
    uvicorn.run(app, host=host, port=args.port, workers=1, server_header=False)
    return 0


def add_commands(subparsers: Any) -> None:
    """Register ``rai serve``."""
    serve = subparsers.add_parser(
        "serve",
        help="the HTTP API over the review store (FastAPI under uvicorn)",
        description="Serve the HTTP API (docs/service.md): submit runs, review them, ask the "
        "gate. Binds 127.0.0.1 unless --address says otherwise; another address needs users "
        "in the store (rai users add).",
    )
    serve.add_argument("--address", metavar="HOST", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--store",
        "--url",
        dest="store",
        metavar="URL",
        help="SQLAlchemy URL or SQLite path of the store (default: $RAI_STORE_URL or "
        "$RAI_HOME/store.sqlite)",
    )
    serve.add_argument(
        "--max-upload-mb",
        type=int,
        default=None,
        metavar="MB",
        help="largest file of a server-side audit (POST /v1/runs as a form), in megabytes; "
        "a form may hold twice that (default 25)",
    )
    serve.set_defaults(handler=_cmd_serve)
