"""The vendor admins' page of legacy-terms announcements (rule AG-3): the same checks as the API
with the error next to the field, correcting and withdrawing, the history; and the links from an
organisation's pages to the doors of its services (rules AG-4, AG-5)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from src.identity.auth import build_actor
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import ordering
from src.tenants.services import legacy_terms
from src.tenants.services.legacy_terms import add_months
from src.tenants.tables import LegacyTermsNotice
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of, vendor_today

PAGE = "/admin/legacy-terms"
TODAY = vendor_today()


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def admin_actor() -> Any:
    actor = await build_actor((await factories.vendor_admin())["id"], None, "127.0.0.1")
    assert actor is not None
    return actor


async def sign_in_admin(client: Any) -> None:
    await sign_in_person(client, await factories.vendor_admin(), provider="staff")


def error_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="f-{field}-error">(.*?)</p>', html, flags=re.S)
    return text_of(match.group(1)) if match else ""


def form(announced_on: dt.date, ends_on: dt.date, service: str = "webcert") -> dict[str, str]:
    return {"service": service, "announced_on": announced_on.isoformat(), "ends_on": ends_on.isoformat()}


async def test_the_page_refuses_too_little_notice_next_to_the_field(client):
    # rule AG-3
    await sign_in_admin(client)
    empty = await client.get(PAGE)
    assert empty.status_code == 200
    assert f'value="{add_months(TODAY, 6).isoformat()}"' in empty.text  # the earliest end, offered
    short = await client.post_form(PAGE, form(TODAY, add_months(TODAY, 5)))
    assert short.status_code == 422
    assert "at the earliest 6 months after the announcement" in error_of(short.text, "ends_on")
    assert "nothing was saved" in text_of(short.text)
    ancient = await client.post_form(PAGE, form(dt.date(1900, 1, 1), add_months(TODAY, 6)))
    assert ancient.status_code == 422 and "within 10 years of today" in error_of(ancient.text, "announced_on")
    assert await LegacyTermsNotice.count() == 0


async def test_a_second_announcement_in_force_is_refused_on_the_page(client):
    await sign_in_admin(client)
    done = await client.post_form(PAGE, form(TODAY, add_months(TODAY, 6)), follow_redirects=True)
    assert "Announced: the legacy terms end on" in text_of(done.text)
    again = await client.post_form(PAGE, form(TODAY, add_months(TODAY, 7)))
    assert again.status_code == 409 and "already announced" in error_of(again.text, "service")
    assert await LegacyTermsNotice.count() == 1


async def test_a_vendor_admin_corrects_and_withdraws_and_the_history_stays(client):
    # rule AG-3
    await sign_in_admin(client)
    notice = await legacy_terms.announce_legacy_end(await admin_actor(), service_code="webcert")
    url = f"{PAGE}/{notice['id']}"
    listed = text_of((await client.get(PAGE)).text)
    assert "Correct or withdraw" in listed and "In force" in listed
    short = await client.post_form(url, {"announced_on": TODAY.isoformat(), "ends_on": TODAY.isoformat()})
    assert short.status_code == 422 and "at the earliest" in error_of(short.text, "ends_on")
    later = add_months(TODAY, 9)
    corrected = await client.post_form(
        url, {"announced_on": TODAY.isoformat(), "ends_on": later.isoformat()}, follow_redirects=True
    )
    assert "Corrected: the legacy terms end on" in text_of(corrected.text)
    assert "corrected 1 time" in text_of(corrected.text)
    withdrawn = await client.post_form(f"{url}/withdraw", {}, follow_redirects=True)
    page = text_of(withdrawn.text)
    assert "The announcement is withdrawn" in page and "Withdrawn on" in page
    assert "Correct or withdraw" not in page
    shown = text_of((await client.get(url)).text)
    assert "Save the correction" not in shown and "Withdrawn on" in shown
    twice = await client.post_form(f"{url}/withdraw", {}, follow_redirects=True)
    assert "was withdrawn" in text_of(twice.text)
    row = await LegacyTermsNotice.select().where(LegacyTermsNotice.id == notice["id"]).first()
    assert row is not None and row["withdrawn_at"] is not None and row["ends_on"] == later


async def test_an_ended_announcement_offers_no_correction(client):
    await sign_in_admin(client)
    notice = await legacy_terms.announce_legacy_end(
        await admin_actor(), service_code="webcert", announced_on=TODAY - dt.timedelta(days=200)
    )
    shown = text_of((await client.get(f"{PAGE}/{notice['id']}")).text)
    assert (
        "Ended" in shown and "Save the correction" not in shown and "Withdraw the announcement" not in shown
    )


async def test_a_post_without_the_csrf_token_changes_nothing(client):
    await sign_in_admin(client)
    notice = await legacy_terms.announce_legacy_end(await admin_actor(), service_code="webcert")
    assert (await client.post(f"{PAGE}/{notice['id']}/withdraw")).status_code == 403
    assert (
        await client.post(PAGE, data=form(TODAY, add_months(TODAY, 6), "procurement_portal"))
    ).status_code == 403
    assert await LegacyTermsNotice.count().where(LegacyTermsNotice.withdrawn_at.is_null()) == 1


async def test_a_contact_person_may_not_open_the_page(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    assert (await client.get(PAGE)).status_code == 403


# --- the doors of the services (rules AG-4, AG-5) -------------------------------------------------


async def subscribe(org: dict[str, Any], service: str, variant: str) -> None:
    await ordering.order(
        await admin_actor(), org["id"], service=service, variant=variant, start=TODAY - dt.timedelta(days=1)
    )


async def test_an_organisations_pages_link_to_the_doors_of_its_services(client):
    org = await factories.organisation()
    await subscribe(org, "webcert", "standalone")
    await subscribe(org, "cloud_office", "essentials")
    user = await factories.member(org, role="contact_person")
    await sign_in_person(client, user["person_row"])
    for url in ("/organisation", "/organisation/subscriptions", "/organisation/overview"):
        html = (await client.get(url)).text
        assert 'href="/services/webcert"' in html and "Open Webcert" in text_of(html), url
        assert "/services/cloud_office" not in html, url  # managed IT has no door


async def test_a_service_the_organisation_still_uses_under_legacy_terms_links_to_its_door(client):
    # rule AG-5: the overview says what is missing and opens the service's door
    await legacy_terms.announce_legacy_end(await admin_actor(), service_code="webcert")
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    overview = await client.get("/organisation/overview")
    assert 'href="/services/webcert"' in overview.text and "Open Webcert" in text_of(overview.text)
    home = await client.get("/organisation")
    assert 'href="/services/webcert"' not in home.text  # no subscription: no service card
