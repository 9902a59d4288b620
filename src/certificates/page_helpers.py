"""Helpers shared by the certificate pages: where to send someone without an organisation, and
PEM downloads."""

from __future__ import annotations

from typing import Any

from litestar import Response

PEM = "application/x-pem-file"


def pem_response(body: str, filename: str) -> Response[Any]:
    return Response(
        content=body,
        media_type=PEM,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
