"""The API's documentation.

At /schema/swagger: Swagger UI served from the portal's own static files, with no inline script
or style, so the portal's Content-Security-Policy holds on this page too (Litestar's own
Swagger page loads its script from a CDN and starts it inline, which the policy blocks: the
page stayed blank).

In the schema: every API operation documents the errors it answers as they are sent,
`application/problem+json` (src/core/web.py), instead of Litestar's default 400 shape."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Litestar, Request
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.routes import HTTPRoute

from src.core.web import PROBLEM_JSON, Problem

ERRORS = {
    400: "Unreadable input: malformed JSON, JSON nested deeper than 64 levels, a value of the wrong "
    "type, text with U+0000.",
    401: "No valid API token.",
    403: "The token's person may not do this.",
    404: "No such object, or one of another organisation.",
    409: "Refused by a rule, e.g. the last contact person of an organisation.",
    422: "Invalid input; `errors` names each field and what is wrong with it.",
    429: "Too many requests with this token in a minute; try again later.",
}
# Only for operations that take a body.
BODY_ERRORS = {415: "The body is not JSON: send it with `Content-Type: application/json`."}


def document_api_errors(app: Litestar) -> None:
    """Give every operation under /api/ the error answers above (its own entries stay)."""
    errors, body_errors = (
        {
            status: ResponseSpec(
                data_container=Problem,
                media_type=PROBLEM_JSON,
                description=description,
                generate_examples=False,
            )
            for status, description in documented.items()
        }
        for documented in (ERRORS, BODY_ERRORS)
    )
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/"):
            for handler in route.route_handlers:
                takes_body = "data" in handler.parsed_fn_signature.parameters
                handler.responses = {
                    **errors,
                    **(body_errors if takes_body else {}),
                    **(handler.responses or {}),
                }


SWAGGER_UI = "/static/vendor/swagger-ui-5.35.0"


class SwaggerDocs(OpenAPIRenderPlugin):
    def __init__(self, title: str) -> None:
        super().__init__(path="/swagger")
        self.title = title

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        schema_url = escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(self.title)}</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
  <script src="{SWAGGER_UI}/swagger-ui-bundle.js" defer></script>
  <script src="/static/js/api-docs.js" defer></script>
</head>
<body>
  <div id="swagger-ui" data-schema="{schema_url}"></div>
</body>
</html>
""".encode()
