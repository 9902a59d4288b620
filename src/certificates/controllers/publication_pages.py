"""Public PKI endpoints, no sign-in: the CA certificates, the CRLs and the OCSP responder."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from urllib.parse import unquote

from litestar import Request, Response, asgi, get
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from src.certificates.services import crl as crl_service
from src.certificates.services import ocsp as ocsp_service
from src.certificates.services import pki
from src.core.errors import NotFound
from src.core.ids import parse_id
from src.core.web import page

log = logging.getLogger(__name__)

OCSP_RESPONSE = "application/ocsp-response"
MAX_OCSP_REQUEST = 16 * 1024


@get("/pki", include_in_schema=False)
async def pki_page(request: Request[Any, Any, Any]) -> Template:
    await pki.ensure_ca()  # the embedded default creates its CA on first use
    cas = await pki.list_cas()
    return page(
        request, "certificates/pki.html", {"cas": cas, "base_url": request.app.state.settings.base_url}
    )


async def _ca(ca_id: int) -> pki.LoadedCA:
    ca = await pki.get_ca(ca_id)
    if ca is None:
        raise NotFound()
    return ca


def _split(name: str, suffixes: tuple[str, ...]) -> tuple[int, str]:
    """ "12.pem" → (12, "pem"); Litestar path parameters are whole segments."""
    stem, _dot, suffix = name.rpartition(".")
    ca_id = parse_id(stem) if stem.isascii() and stem.isdigit() else None
    if suffix not in suffixes or ca_id is None:
        raise NotFound()
    return ca_id, suffix


@get("/pki/ca/{name:str}", include_in_schema=False)
async def ca_certificate(name: FromPath[str]) -> Response[bytes]:
    """/pki/ca/{id}.pem (PEM) and /pki/ca/{id}.crt (DER, the AIA caIssuers URL)."""
    ca_id, suffix = _split(name, ("pem", "crt"))
    ca = await _ca(ca_id)
    if suffix == "pem":
        return Response(
            ca.pem.encode(),
            media_type="application/x-pem-file",
            headers={"Content-Disposition": f'attachment; filename="ca-{ca_id}.pem"'},
        )
    return Response(
        ca.der,
        media_type="application/pkix-cert",
        headers={"Content-Disposition": f'attachment; filename="ca-{ca_id}.crt"'},
    )


@get("/pki/crl/{name:str}", include_in_schema=False)
async def crl(name: FromPath[str]) -> Response[bytes]:
    """/pki/crl/{issuer id}.crl: the CRL (DER), the URL in every certificate's CRL distribution point."""
    ca_id, _suffix = _split(name, ("crl",))
    der = await crl_service.current_crl(ca_id)
    if der is None:
        raise NotFound()
    return Response(der, media_type="application/pkix-crl", headers={"Cache-Control": "no-cache"})


async def serve_ocsp(scope: Scope, receive: Receive, send: Send) -> None:
    """The OCSP responder (RFC 6960): POST /ocsp with a DER request, or GET /ocsp/{url-encoded
    base64 of the DER request} (A.1). A plain ASGI endpoint: no session, no templates, no
    parameter parsing — this is the hot path (see publication.py)."""
    method = scope.get("method", "GET")
    if method == "POST":
        body = bytearray()
        more = True
        while more:
            message: dict[str, Any] = dict(await receive())
            body.extend(message.get("body", b""))
            more = bool(message.get("more_body", False))
            if len(body) > MAX_OCSP_REQUEST:
                body = bytearray()
                break
        der = bytes(body)
    elif method == "GET":
        # raw_path: the path as sent (a mount's scope path is rewritten, with a slash added).
        raw = scope.get("raw_path") or scope.get("path", "").encode()
        encoded = raw.decode("latin-1")
        if encoded.startswith("/ocsp"):
            encoded = encoded[len("/ocsp") :]
        try:
            der = base64.b64decode(unquote(encoded.lstrip("/")), validate=False)[:MAX_OCSP_REQUEST]
        except (binascii.Error, ValueError):
            der = b""
    else:
        await _respond(send, 405, b"", [(b"allow", b"GET, POST")])
        return
    try:
        answer = await ocsp_service.answer(der)
    except Exception:
        log.exception("OCSP responder failed")
        answer = ocsp_service.internal_error()
    await _respond(
        send,
        200,
        answer,
        [
            (b"content-type", OCSP_RESPONSE.encode()),
            (b"content-length", str(len(answer)).encode()),
            (b"cache-control", b"no-store"),
        ],
    )


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


ocsp_endpoint = asgi("/ocsp", is_mount=True, copy_scope=False, include_in_schema=False)(serve_ocsp)


ROUTES = [pki_page, ca_certificate, crl, ocsp_endpoint]
