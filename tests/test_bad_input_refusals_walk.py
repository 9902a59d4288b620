"""Walk every route of the app with input no person types: numbers in the path that no row can
have, page numbers past any list, the NUL character in the path, the query, form fields and JSON
(and JSON text that is no UTF-8). Each answers a clear 4xx, never a 5xx, and changes nothing, for
a vendor admin and a contact person signed in, and for an API token. The odd numbers and bodies:
tests/test_bad_input_walk.py; what both use: tests/bad_input_support.py."""

from __future__ import annotations

import pytest

from tests.bad_input_support import (
    everything,
    far_pages,
    make_people,
    new_user,
    refused_everywhere,
    user,
)
from tests.signed_in import sign_in_person


@pytest.mark.parametrize(("who", "provider"), [("admin", "staff"), ("contact", "eid")])
async def test_every_page_refuses_impossible_input(app, client, who, provider):
    people = await make_people(client)
    await sign_in_person(client, people[who], provider=provider)
    before = await everything()

    assert await refused_everywhere(client, app, {}, api_only=False) == []
    assert await everything() == before
    assert await far_pages(client, app, {}, api_only=False) == []


async def test_every_api_route_refuses_impossible_input_to_a_token(app, client):
    people = await make_people(client)
    headers = {"Authorization": f"Bearer {people['token']}"}
    before = await everything()

    assert await refused_everywhere(client, app, headers, api_only=True) == []
    assert await everything() == before
    assert await far_pages(client, app, headers, api_only=True) == []


async def test_a_json_body_that_is_no_utf8_or_escapes_nul_is_refused_saying_why(client):
    people = await make_people(client)
    before = await everything()

    not_utf8 = await new_user(client, people, user("a\xed\xa0\x80b"))
    escaped_nul = await new_user(client, people, user("a\\u0000b"))

    assert (not_utf8.status_code, not_utf8.json()["detail"]) == (
        400,
        "The request's text is not valid UTF-8.",
    )
    assert escaped_nul.status_code == 400
    assert "NUL" in escaped_nul.json()["detail"]
    assert await everything() == before


async def test_a_backslash_before_u0000_is_text_and_is_stored(client):
    """In JSON `\\\\u0000` is a backslash and the letters u0000: text like any other."""
    people = await make_people(client)

    answer = await new_user(client, people, user("a\\\\u0000b"))

    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == "a\\u0000b"
