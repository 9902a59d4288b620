"""The vendor's service desk (SERVICE_DESK_* settings) in every page's footer."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from src.settings import Settings
from tests.support import PortalClient, limited_app

DESK = {
    "SERVICE_DESK_NAME": "Acme service desk",
    "SERVICE_DESK_EMAIL": "desk@acme.example",
    "SERVICE_DESK_PHONE": "+31 20 555 0199",
    "SERVICE_DESK_ADDRESS": "Acme B.V.; Postbus 99; 1000 AA Amsterdam",
}


@pytest.fixture
async def desk_client() -> Any:
    async with AsyncTestClient(app=limited_app("", **DESK), base_url="http://testserver.local") as raw:
        yield PortalClient(raw)


def test_the_service_desk_settings() -> None:
    settings = Settings.from_env(DESK)
    assert settings.service_desk_address == ("Acme B.V.", "Postbus 99", "1000 AA Amsterdam")
    with pytest.raises(ValueError, match="SERVICE_DESK_EMAIL"):
        Settings.from_env({"SERVICE_DESK_EMAIL": "not an address"})


async def test_every_page_names_the_service_desk_in_its_footer(desk_client: Any) -> None:
    footer = (await desk_client.get("/signin")).text.split('<footer class="footer">')[1]
    assert "Acme service desk" in footer
    assert 'href="mailto:desk@acme.example"' in footer
    assert 'href="tel:+31205550199"' in footer
