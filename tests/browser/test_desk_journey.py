"""A vendor admin's service desk in a real browser: from the overview they land on, through
the search in the header, to an organisation, its users, its certificates and a certificate."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests import factories
from tests.browser.conftest import shot, sign_in_as_vendor_admin
from tests.certificates.workflow_support import org_with_contact
from tests.dashboard.test_desk import issue

pytestmark = pytest.mark.browser


async def test_a_vendor_admin_goes_from_the_overview_to_a_certificate(live_server, context):
    admin = await factories.vendor_admin()
    org, contact, _actor = await org_with_contact(name="Zorggroep Bureau Noord B.V.")
    await factories.organisation(name="Zorggroep Bureau Zuid B.V.")
    for i in range(3):
        await factories.member(org, name=f"Medewerker {i}", email=f"medewerker{i}@bureau-noord.example")
    await factories.member(org, name="Oud Medewerker", email="oud@bureau-noord.example", active=False)
    certificate = await issue(org, contact, "bureau-noord.zorg.example")

    page = await sign_in_as_vendor_admin(context, live_server, admin)
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    await expect(page.locator("#count-expiring")).to_contain_text("Certificates expiring within 60 days")
    await shot(page, "desk-overview")

    await page.fill("#desk-q", "bureau")
    await page.press("#desk-q", "Enter")
    await expect(page).to_have_url(re.compile(r"/admin/search\?q=bureau"))
    organisations = page.locator("#found-organisations")
    await expect(organisations.locator("tbody tr")).to_have_count(2)
    await expect(page.locator("#found-people")).to_contain_text("medewerker0@bureau-noord.example")
    await shot(page, "desk-search")

    await organisations.get_by_role("link", name="Zorggroep Bureau Noord B.V.").click()
    await expect(page).to_have_url(re.compile(rf"/admin/organisations/{org['id']}$"))
    await page.get_by_role("link", name="4 active users").click()
    await expect(page.get_by_role("heading", name="Users of Zorggroep Bureau Noord B.V.")).to_be_visible()
    await expect(page.locator("#users-table tbody tr")).to_have_count(4)
    await page.select_option("#f-state", "inactive")
    await expect(page).to_have_url(re.compile(r"status=inactive"))
    await expect(page.locator("#users-table tbody tr")).to_have_count(1)
    await expect(page.locator("#users-table")).to_contain_text("Oud Medewerker")
    await shot(page, "desk-org-users")

    await page.get_by_role("link", name="Certificates", exact=True).last.click()
    heading = page.get_by_role("heading", name="Certificates of Zorggroep Bureau Noord B.V.")
    await expect(heading).to_be_visible()
    await expect(page.locator("#certificate-results tbody tr")).to_have_count(1)
    await shot(page, "desk-org-certificates")
    await page.locator("#certificate-results").get_by_role("link", name=certificate.number).click()
    await expect(page).to_have_url(re.compile(rf"/admin/certificates/{certificate.number}$"))
    await expect(page.get_by_role("heading", name=re.compile(certificate.number))).to_be_visible()
    await shot(page, "desk-certificate")

    # every organisation's certificates, and a search for a number from the header
    await page.goto(f"{live_server}/admin/certificates")
    await expect(page.locator("#certificate-results tbody tr")).to_have_count(1)
    await shot(page, "desk-certificates")
    await page.fill("#desk-q", certificate.number)
    await page.press("#desk-q", "Enter")
    await expect(page).to_have_url(re.compile(rf"/admin/certificates/{certificate.number}$"))
