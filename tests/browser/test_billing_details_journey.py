"""A contact person fills in what invoices need (VAT number, billing e-mail, Peppol ID): a typing
error is shown next to its field, the corrected details on the organisation's page; a vendor
admin sees them on the organisation's form."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests import factories
from tests.browser.conftest import shot, sign_in_as_vendor_admin, signed_in_page
from tests.oidc_support import EID_CLAIM

pytestmark = pytest.mark.browser


async def test_a_contact_person_fills_in_the_invoicing_details(live_server, context):
    org = await factories.organisation(name="Zorggroep Factuurweg B.V.")
    contact = await factories.member(org, role="contact_person", name="Fenna Dijkstra")
    page = await signed_in_page(
        context, live_server, {EID_CLAIM: contact["person_row"]["personal_identity_number"]}
    )
    await shot(page, "billing-home-empty")
    await page.get_by_role("link", name="Change the invoicing details").click()
    await page.wait_for_url("**/organisation/billing")
    await page.fill("#f-vat_number", "NL802741539B01")  # one digit off
    await page.fill("#f-billing_email", "facturen@factuurweg.example")
    await page.fill("#f-peppol_id", "0106:30276841")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#f-vat_number-error")).to_contain_text("fails its check digits")
    await shot(page, "billing-form-error")

    await page.fill("#f-vat_number", "NL802741538B01")
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_url("**/organisation")
    await expect(page.get_by_text("The invoicing details are saved.")).to_be_visible()
    await expect(page.locator(".billing-facts")).to_contain_text("NL802741538B01")
    await expect(page.locator(".billing-facts")).to_contain_text("facturen@factuurweg.example")
    await shot(page, "billing-home-filled")


async def test_a_vendor_admin_sees_the_invoicing_fields_on_the_organisation_form(live_server, context):
    admin = await factories.vendor_admin()
    org = await factories.organisation(
        name="Zorggroep Peppol B.V.", vat_number="NL802741538B01", peppol_id="9944:NL802741538B01"
    )
    page = await sign_in_as_vendor_admin(context, live_server, admin)
    await page.goto(f"{live_server}/admin/organisations/{org['id']}")
    await expect(page.locator(".billing-facts")).to_contain_text("9944:NL802741538B01")
    await shot(page, "billing-admin-detail")
    await page.goto(f"{live_server}/admin/organisations/{org['id']}/edit")
    await expect(page.locator("#f-vat_number")).to_have_value("NL802741538B01")
    await shot(page, "billing-admin-form")
