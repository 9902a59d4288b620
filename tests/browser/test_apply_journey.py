"""A contact person applies for a server certificate in a real browser: the DNS names come from
the CSR as ticked boxes, one is unticked, and the application holds the rest (rule CRT-3)."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from src.certificates.tables import CertificateApplication
from tests import factories
from tests.browser.conftest import shot, signed_in_page
from tests.certificates.workflow_support import csr_pem
from tests.oidc_support import EID_CLAIM

pytestmark = pytest.mark.browser


async def test_a_contact_person_applies_with_the_names_of_the_csr(live_server, context):
    org = await factories.organisation(name="Ziekenhuis Zuid B.V.")
    contact = await factories.member(org, role="contact_person", name="Carla Bos")
    page = await signed_in_page(
        context, live_server, {EID_CLAIM: contact["person_row"]["personal_identity_number"]}
    )

    await page.goto(f"{live_server}/organisation/certificates/apply?kind=personal")
    await expect(page.get_by_label("The user the certificate is for")).to_be_visible()
    await expect(page.locator("[name=lsp_connection]")).to_have_count(0)
    await shot(page, "apply-personal")
    await page.get_by_role("link", name="Server certificate").click()
    await page.fill("#csr_pem", csr_pem(["portal.zuid.example", "api.zuid.example"], fresh_key=True))
    api = page.get_by_role("checkbox", name="api.zuid.example")
    await expect(api).to_be_checked()
    await expect(page.get_by_role("checkbox", name="portal.zuid.example")).to_be_checked()
    await api.uncheck()
    await page.select_option("#holder_user_id", str(contact["id"]))
    await shot(page, "apply-server")
    await page.get_by_role("button", name="Submit application").click()
    await expect(page.get_by_text("Your application was submitted")).to_be_visible()
    row = await CertificateApplication.select().first()
    names = row["dns_names"]
    assert (json.loads(names) if isinstance(names, str) else names) == ["portal.zuid.example"]
