"""The OCSP responder as an ASGI application of its own, for a deployment that serves /ocsp
from a dedicated process behind the proxy (the same code as the portal's /ocsp route, without
the portal's middleware):

    uvicorn src.certificates.ocsp_asgi:app --host 127.0.0.1 --port 8010 --no-access-log
"""

from __future__ import annotations

from typing import Any

from src.certificates.controllers.publication_pages import serve_ocsp
from src.core import db


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await db.start_pool()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await db.close_pool()
                await send({"type": "lifespan.shutdown.complete"})
                return
    elif scope["type"] == "http":
        await serve_ocsp(scope, receive, send)
