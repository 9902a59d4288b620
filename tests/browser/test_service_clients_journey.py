"""A vendor admin registers a connected service's client, copies its token once and revokes it;
a user whose organisation lacks the agreement sees at the service's door what the service is
told (rules AG-5, AG-6)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from playwright.async_api import expect

from src.subscriptions.catalogue import seed_catalogue
from src.tenants.services import legacy_terms
from tests import factories
from tests.browser.conftest import shot, sign_in_as_vendor_admin, signed_in_page
from tests.connected.support import admin_actor
from tests.oidc_support import CARD_CLAIM
from tests.support import vendor_today

pytestmark = pytest.mark.browser


async def test_a_client_is_registered_its_token_shown_once_and_revoked(live_server, context):
    await seed_catalogue()
    admin = await factories.vendor_admin()
    org = await factories.organisation()
    await factories.member(org, await factories.person(card_id="NL-CARD-5001"))
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    await page.goto(f"{live_server}/admin/service-clients")
    await page.select_option("#f-service", "webcert")
    await page.fill("#f-name", "Webcert production")
    await page.fill("#f-webhook_url", "https://webcert.example/portal-events")
    await page.get_by_role("button", name="Register and show the token").click()
    await expect(page.get_by_text("it is shown only this once")).to_be_visible()
    token = (await page.inner_text("#new-token")).strip()
    await shot(page, "service-client-token")
    params = {"identifier_kind": "card_id", "identifier": "NL-CARD-5001", "organisation": org["kvk_number"]}
    url = f"{live_server}/api/v1/services/webcert/entitlements"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as service:
        assert (await service.get(url, params=params)).json()["may_use"] is True
        await page.goto(f"{live_server}/admin/service-clients")
        assert token not in await page.content()
        await page.get_by_role("button", name="Revoke the token of Webcert production").click()
        await expect(page.get_by_text("the service can no longer use it")).to_be_visible()
        await shot(page, "service-clients")
        assert (await service.get(url, params=params)).status_code == 401
    # The vendor admins' module messages take the same path, with texts per language.
    await page.goto(f"{live_server}/admin/module-messages")
    await page.get_by_text("Texts per language (optional)").click()
    await expect(page.locator("#f-subject_sv")).to_be_visible()
    await shot(page, "module-messages-form")


async def test_the_service_door_tells_what_the_service_is_told(live_server, context):
    await seed_catalogue()
    await legacy_terms.announce_legacy_end(
        await admin_actor(),
        service_code="webcert",
        announced_on=vendor_today() - dt.timedelta(days=200),
        notice_months=6,
    )
    org = await factories.organisation()
    await factories.member(org, await factories.person(card_id="NL-CARD-5002"))
    page = await signed_in_page(context, live_server, {CARD_CLAIM: "NL-CARD-5002"}, "card")
    await page.goto(f"{live_server}/services/webcert")
    await expect(page.get_by_text("but not create new ones")).to_be_visible()
    await expect(page.get_by_text("you can no longer create new records in Webcert").first).to_be_visible()
    await shot(page, "service-door")
