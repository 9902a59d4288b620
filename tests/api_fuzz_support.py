"""How every operation of the JSON API is fuzzed, as a vendor admin (tests/test_api_fuzz.py)
and as a contact person (tests/test_api_fuzz_contact_person.py): two files, so two test
processes can share the work. Schemathesis generates values from the API's own OpenAPI schema
(valid and invalid: huge and negative numbers, odd text, missing and extra fields): no input
may make the API answer 5xx, and every answer is one the schema documents (status code,
content type, shape), so a client generated from the schema reads the errors too.

The operations come from the schema the app serves, so a new endpoint is fuzzed without
touching these files. Examples are derived from a fixed seed (the same cases on every run, so
the suite's outcome never depends on chance); a change of the schema changes the cases."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from src.app import create_app
from src.identity.auth import build_actor
from src.identity.services import create_token
from src.settings import Settings, override_settings
from tests import factories


def _fuzz_settings() -> Settings:
    # A fuzzer sends far more requests a minute than the per-token limit lets through; the
    # limit has tests of its own (tests/identity/test_tokens.py).
    return Settings.from_env({**os.environ, "API_RATE_LIMIT": "1000000"})


schema = schemathesis.openapi.from_asgi(
    "/schema/openapi.json", create_app(_fuzz_settings(), run_worker=False, start_pool=False)
)
override_settings(None)  # building the app at import must not change the settings of other tests


@pytest.fixture(name="_fuzz_rate_limit", autouse=True)
def fuzz_rate_limit() -> None:
    """The limit is read per request, so it is raised for each fuzz test (reset after it)."""
    override_settings(_fuzz_settings())


@pytest.fixture(name="tokens")
async def tokens_fixture() -> dict[str, str]:
    """Bearer tokens of a vendor admin and of a contact person of an organisation with users."""
    org = await factories.organisation(name="Fuzzgroep B.V.")
    contact = await factories.member(org, role="contact_person")
    await factories.member(org)
    admin = await factories.vendor_admin()
    out = {}
    for who, person_id, org_id in (
        ("vendor admin", admin["id"], None),
        ("contact person", contact["person"], org["id"]),
    ):
        actor = await build_actor(person_id, org_id, "127.0.0.1")
        assert actor is not None
        _row, secret = await create_token(actor, f"fuzz {who}")
        out[who] = secret
    return out


def fuzzed(test: Callable[..., None]) -> Callable[..., None]:
    """A test run for every operation of the schema, with the examples generated for it."""
    return schema.parametrize()(
        settings(
            max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", "30")),
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(test)
    )


def no_input_makes_the_api_fail(case: Any, token: str) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
