"""Every operation of the JSON API, fed by schemathesis with values generated from the API's
own OpenAPI schema (valid and invalid: huge and negative numbers, odd text, missing and extra
fields), as a vendor admin: no input may make the API answer 5xx, and every answer is one the
schema documents (status code, content type, shape), so a client generated from the schema
reads the errors too. The same as a contact person: tests/test_api_fuzz_contact_person.py; how
both are run: tests/api_fuzz_support.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_fuzz_support import (  # noqa: F401  (fixtures)
    fuzz_rate_limit,
    fuzzed,
    no_input_makes_the_api_fail,
    tokens_fixture,
)


@fuzzed
@pytest.mark.parametrize("who", ["vendor admin"])
def test_no_input_makes_the_api_fail(case: Any, who: str, tokens: dict[str, str]) -> None:
    no_input_makes_the_api_fail(case, tokens[who])
