"""Walk every route of the app (taken from its route table, so new routes are walked without
touching this file) with input no person types but a client or an attacker can send: numbers
in the path that no row can have, page numbers past any list, the NUL character in the path,
the query, form fields and JSON. Each answers a clear 4xx, never a 5xx, and changes nothing,
for a vendor admin and a contact person signed in, and for an API token.

Then the families of odd input, each on every route it applies to: digits of other scripts and
numbers past any integer in every path segment; numbers and dates out of any range in every
query parameter a handler reads (from its signature); JSON nested a thousand deep, and a body
of every content type, to every route that takes a body. None answers 5xx or logs an error.

Here the families of odd input; the impossible input refused: tests/test_bad_input_refusals_walk.py
(two files, so two test processes share the walk); what both use: tests/bad_input_support.py."""

from __future__ import annotations

import logging

import pytest

from tests.bad_input_support import (
    errors_logged,
    make_people,
    odd_bodies,
    odd_numbers,
)
from tests.signed_in import sign_in_person


@pytest.mark.parametrize(("who", "provider"), [("admin", "staff"), ("contact", "eid")])
async def test_every_route_answers_odd_numbers_and_bodies_without_failing(app, client, caplog, who, provider):
    people = await make_people(client)
    await sign_in_person(client, people[who], provider=provider)
    caplog.set_level(logging.ERROR)

    assert await odd_numbers(client, app, {}, api_only=False) == []
    assert await odd_bodies(client, app, {}, api_only=False) == []
    assert errors_logged(caplog) == []


async def test_every_api_route_answers_odd_numbers_and_bodies_to_a_token_without_failing(app, client, caplog):
    people = await make_people(client)
    headers = {"Authorization": f"Bearer {people['token']}"}
    caplog.set_level(logging.ERROR)

    assert await odd_numbers(client, app, headers, api_only=True) == []
    assert await odd_bodies(client, app, headers, api_only=True) == []
    assert errors_logged(caplog) == []


async def test_public_routes_answer_odd_numbers_and_bodies_without_sign_in(app, client, caplog):
    caplog.set_level(logging.ERROR)

    assert await odd_numbers(client, app, {}, api_only=False) == []
    assert await odd_bodies(client, app, {}, api_only=False, signed_in=False) == []
    assert errors_logged(caplog) == []
