"""The API's browsable documentation at /schema/swagger: Swagger UI served from the portal's own
static files, with no inline script or style, so the portal's Content-Security-Policy holds on
this page too (Litestar's own Swagger page loads its script from a CDN and starts it inline,
which the policy blocks: the page stayed blank)."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

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
