"""Every operation of the JSON API fuzzed as a contact person of an organisation: as
tests/test_api_fuzz.py does it as a vendor admin (how: tests/api_fuzz_support.py)."""

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
@pytest.mark.parametrize("who", ["contact person"])
def test_no_input_makes_the_api_fail(case: Any, who: str, tokens: dict[str, str]) -> None:
    no_input_makes_the_api_fail(case, tokens[who])
