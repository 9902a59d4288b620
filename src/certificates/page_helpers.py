"""Helpers shared by the certificate pages: where to send someone without an organisation, and
PEM downloads."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from src.core.tenancy import Actor
from src.core.web import redirect

PEM = "application/x-pem-file"


def home(request: Request[Any, Any, Any], actor: Actor) -> Response[Any]:
    """The organisation pages need an organisation: vendor admins go to their dashboard, others
    choose the organisation they act for."""
    return redirect(request, "/admin/certificates" if actor.is_vendor_admin else "/choose-organisation")


def pem_response(body: str, filename: str) -> Response[Any]:
    return Response(
        content=body,
        media_type=PEM,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
