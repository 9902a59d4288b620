"""The walk of every route with input no person types but a client or an attacker can send
(tests/test_bad_input_walk.py: odd numbers and bodies; tests/test_bad_input_refusals_walk.py:
impossible input refused): the people it walks as, the input and the checks."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from piccolo.conf.apps import Finder

from src.identity.auth import build_actor
from src.identity.services import create_token
from tests import factories
from tests.support import PortalClient, route_requests, route_table, text_of

# Past the largest id (2**31 - 1), past any 64-bit integer, and below any.
IMPOSSIBLE_IDS = [str(2**31), str(10**30), str(-(10**30))]
NUL = "a\x00b"
FORM_FIELDS = (
    "name",
    "email",
    "q",
    "reason",
    "organisation",
    "module",
    "subject",
    "body",
    "kvk_number",
    "org_number",
    "holder_user_id",
    "quantity",
)


# Digits that str.isdigit (and some of them int()) takes besides 0-9, in every path parameter
# (numbers past any id are IMPOSSIBLE_IDS above); in text parameters also a number past any
# integer column, and each in a file name too, as the PKI's /pki/crl/{id}.crl reads its segments.
ODD_DIGITS = ["\u00b2", "\u0663\u0663"]
ODD_SEGMENTS = [
    quote(n + suffix) for n in [*ODD_DIGITS, str(10**21)] for suffix in ("", ".crl", ".crt", ".pem")
]
# Out of every range a query parameter may hold: dates before and after any a date can hold in
# every time zone, numbers past 64 bits and below, and numbers that are no integer.
ODD_QUERY_VALUES = ["0001-01-01", "9999-12-31", str(10**30), str(-(10**30)), "\u00b2", "1e309", "NaN"]
DEEP_JSON = b"[" * 1000 + b"]" * 1000
# A route that takes a body gets each of these; "none" is an empty body without a content type.
BODIES: dict[str, dict[str, Any]] = {
    "json": {"json": {"name": "x"}},
    "form": {"data": {"name": "x"}},
    "multipart": {"files": {"name": (None, "x")}},
    "text": {"content": b"name=x", "headers": {"Content-Type": "text/plain"}},
    "none": {},
}
# Which kinds of body the route's declared body takes (the rest answer 415).
TAKES = {"json": {"json", "none"}, "form": {"form", "multipart", "none"}}


async def everything() -> str:
    """Every row of every table, to show that nothing changed."""
    tables = sorted(Finder().get_table_classes(), key=lambda t: t._meta.tablename)
    rows = {t._meta.tablename: await t.select().order_by(t._meta.primary_key) for t in tables}
    return json.dumps(rows, default=str, sort_keys=True, indent=0)


async def make_people(client: PortalClient) -> dict[str, Any]:
    """A world to walk in; the client signed in as `who` by the caller."""
    org = await factories.organisation(name="Invoerproef B.V.")
    contact = await factories.member(org, role="contact_person")
    await factories.member(org)
    admin = await factories.vendor_admin()
    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "walk")
    return {"org": org, "admin": admin, "contact": contact["person_row"], "token": secret}


async def _send(client: PortalClient, method: str, path: str, headers: dict[str, str], text: str) -> Any:
    if method == "GET":
        return await client.request(method, path, headers=headers, follow_redirects=False)
    if path.startswith("/api/"):
        body = {field: text for field in FORM_FIELDS}
        return await client.request(method, path, json=body, headers=headers, follow_redirects=False)
    form = {field: text for field in FORM_FIELDS} | {"_csrf_token": await client.csrf()}
    return await client.request(method, path, data=form, headers=headers, follow_redirects=False)


def _walked(path: str, api_only: bool) -> bool:
    return path != "/signout" and (path.startswith("/api/") or not api_only)


async def refused_everywhere(
    client: PortalClient, app: Any, headers: dict[str, str], api_only: bool
) -> list[str]:
    """Impossible ids and the NUL character on every route; what was not refused as it should."""
    problems = []

    # A number no row can have names nothing: 404, whatever else the request holds.
    for method, path in route_requests(app, IMPOSSIBLE_IDS, ["x"]):
        if _walked(path, api_only) and any(i in path.split("/") for i in IMPOSSIBLE_IDS):
            answer = await _send(client, method, path, headers, "text")
            if answer.status_code != 404:
                problems.append(f"{method} {path} answered {answer.status_code}, not 404")

    # The NUL character anywhere: 400, saying why.
    for method, path in route_requests(app, ["1"], ["x", "a%00b"]):
        if not _walked(path, api_only):
            continue
        query = "" if "%00" in path else "?q=a%00b&page=1"
        answer = await _send(client, method, path + query, headers, NUL)
        said = answer.text if path.startswith("/api/") else text_of(answer.text)
        if answer.status_code != 400 or "NUL" not in said:
            problems.append(f"{method} {path + query} with NUL answered {answer.status_code}")
    return problems


async def far_pages(client: PortalClient, app: Any, headers: dict[str, str], api_only: bool) -> list[str]:
    """A page number past any list is a page past the end, as any other; what failed instead."""
    problems = []
    for method, path in route_requests(app, ["1"], ["x"]):
        if _walked(path, api_only) and method == "GET":
            answer = await _send(client, method, path + f"?page={10**30}", headers, "text")
            if answer.status_code >= 500:
                problems.append(f"{method} {path}?page={10**30} answered {answer.status_code}")
    return problems


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


async def odd_numbers(client: PortalClient, app: Any, headers: dict[str, str], api_only: bool) -> list[str]:
    """Other scripts' digits and huge numbers in every path segment, and out-of-range numbers and
    dates in every query parameter: a 4xx, or the page they happen to name, never a 5xx."""
    problems = []
    for method, path in route_requests(app, [quote(n) for n in ODD_DIGITS], ODD_SEGMENTS):
        if _walked(path, api_only):
            answer = await _send(client, method, path, headers, "text")
            if answer.status_code >= 500:
                problems.append(f"{method} {path} answered {answer.status_code}")
    for route in route_table(app, ["1"], ["x"]):
        if route.method != "GET" or not route.query or not _walked(route.path, api_only):
            continue
        for value in ODD_QUERY_VALUES:
            url = f"{route.path}?{urlencode(dict.fromkeys(route.query, value))}"
            answer = await _send(client, "GET", url, headers, "text")
            if answer.status_code >= 500:
                problems.append(f"GET {url} answered {answer.status_code}")
    return problems


def _as_expected(answer: Any, expected: bool, signed_in: bool) -> bool:
    """Never a 5xx; otherwise what was expected, unless the route first asks to sign in."""
    if answer.status_code >= 500:
        return False
    return expected or (not signed_in and answer.status_code in (303, 401))


async def odd_bodies(
    client: PortalClient, app: Any, headers: dict[str, str], api_only: bool, signed_in: bool = True
) -> list[str]:
    """To every route that takes a body: JSON nested too deep answers 400 saying so (415 where
    the route takes no JSON); every content type answers without a 5xx, and one the route does
    not take answers 415."""
    problems = []
    sent = headers | {"x-csrftoken": await client.csrf()}
    for route in route_table(app, ["999999"], ["x"]):
        if route.method == "GET" or not _walked(route.path, api_only):
            continue
        deep = await client.request(
            route.method,
            route.path,
            content=DEEP_JSON,
            headers=sent | {"Content-Type": "application/json"},
            follow_redirects=False,
        )
        if route.body == "form":
            refused_deep = deep.status_code == 415
        else:
            refused_deep = deep.status_code == 400 and "nests deeper" in deep.text
        if not _as_expected(deep, refused_deep, signed_in):
            problems.append(f"{route.method} {route.path} with deep JSON answered {deep.status_code}")
        for kind, body in BODIES.items():
            answer = await client.request(
                route.method,
                route.path,
                follow_redirects=False,
                **body | {"headers": sent | body.get("headers", {})},
            )
            refused = route.body is not None and kind not in TAKES[route.body]
            if not _as_expected(answer, refused == (answer.status_code == 415), signed_in):
                problems.append(
                    f"{route.method} {route.path} with a {kind} body answered {answer.status_code}"
                )
    return problems


async def new_user(client: PortalClient, people: dict[str, Any], raw: bytes) -> Any:
    headers = {"Authorization": f"Bearer {people['token']}", "Content-Type": "application/json"}
    return await client.post(
        f"/api/v1/organisations/{people['org']['id']}/users", content=raw, headers=headers
    )


def user(name: str) -> bytes:
    return (
        b'{"name": "' + name.encode("latin-1") + b'", "email": "nieuw@invoerproef.example",'
        b' "role": "end_user", "card_id": "UZI-12345678"}'
    )
