"""The vendor's service desk (SERVICE_DESK_* settings) in every page's footer, and a refusal (403)
that says why and whom to ask."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from src.settings import Settings
from tests import factories
from tests.certificates.pki_support import issue
from tests.signed_in import sign_in_person
from tests.support import PortalClient, limited_app, text_of

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


async def test_a_refusal_says_why_and_whom_to_ask(desk_client: Any) -> None:
    org = await factories.organisation(name="Zorggroep De Linde")
    end_user = await factories.member(org)
    issued, _, _ = await issue(org)
    await sign_in_person(desk_client, end_user["person_row"])
    refused = await desk_client.get(f"/organisation/certificates/{issued.number}/revoke")
    assert refused.status_code == 403
    text = text_of(refused.text)
    assert "Only a contact person of the organisation may do this." in text
    assert "Rights are given by a contact person of Zorggroep De Linde" in text
    assert "Think this is a mistake? Ask the service desk:" in text
    assert "desk@acme.example" in text and "Postbus 99" in text


async def test_a_form_without_its_security_token_is_refused_in_plain_words(desk_client: Any) -> None:
    dutch = {"Accept-Language": "nl"}
    await desk_client.get("/revoke", headers=dutch)
    refused = await desk_client.raw.post("/revoke", data={"number": "S-2026-000001"}, headers=dutch)
    assert refused.status_code == 403
    text = text_of(refused.text)
    assert "CSRF" not in text
    assert "Laad de pagina opnieuw en verstuur het formulier nogmaals." in text
