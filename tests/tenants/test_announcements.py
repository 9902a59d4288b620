"""Vendor-wide announcements shown to signed-in users until dismissed (rule MOD-9)."""

from __future__ import annotations

import datetime as dt

import pytest

from src.core.errors import Forbidden, InputError
from src.core.tables import AuditEntry
from src.identity.auth import build_actor
from src.subscriptions.catalogue import seed_catalogue
from src.tenants.services import announcements
from src.tenants.tables import Announcement
from tests import factories
from tests.oidc_support import sign_in_person
from tests.support import text_of
from tests.tenants.test_rights import actor_of, subscribed_org

TODAY = dt.date.today()
TEXTS = {
    "nl": "Nieuwe berichtenstandaard iWmo 3.2",
    "sv": "Ny meddelandestandard",
    "en": "New message standard iWmo 3.2",
}


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def admin_actor():
    admin = await factories.vendor_admin()
    actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert actor is not None
    return actor


async def publish(**fields):
    values = {"texts": TEXTS, "starts_on": TODAY, "ends_on": TODAY + dt.timedelta(days=7)}
    values.update(fields)
    return await announcements.publish(await admin_actor(), **values)


async def test_an_announcement_is_shown_from_its_first_to_its_last_day():
    # rule MOD-9
    org = await factories.organisation()
    user = await factories.member(org)
    await publish()
    await publish(texts={**TEXTS, "en": "Later"}, starts_on=TODAY + dt.timedelta(days=1))
    await publish(
        texts={**TEXTS, "en": "Over"},
        starts_on=TODAY - dt.timedelta(days=9),
        ends_on=TODAY - dt.timedelta(days=1),
    )
    shown = await announcements.current_for(await actor_of(user))
    assert [a["text"] for a in shown] == ["New message standard iWmo 3.2"]
    assert await AuditEntry.exists().where(AuditEntry.action == "announcements.published")


async def test_the_audience_is_everyone_one_services_users_or_one_country():
    # rule MOD-9
    dutch = await subscribed_org()  # subscribes to the procurement portal
    swedish = await factories.organisation(
        country="SE",
        legal_form="aktiebolag",
        kvk_number=None,
        agb_code=None,
        org_number=factories.org_number(),
    )
    nl_user, se_user = await factories.member(dutch), await factories.member(swedish)
    await publish(texts={**TEXTS, "en": "all"})
    await publish(texts={**TEXTS, "en": "portal"}, audience="service", service_code="procurement_portal")
    await publish(texts={**TEXTS, "en": "sweden"}, audience="country", country="SE")
    assert {a["text"] for a in await announcements.current_for(await actor_of(nl_user))} == {"all", "portal"}
    assert {a["text"] for a in await announcements.current_for(await actor_of(se_user))} == {"all", "sweden"}


async def test_bad_announcements_are_refused_and_only_vendor_admins_publish():
    with pytest.raises(InputError) as exc:
        await announcements.publish(
            await admin_actor(),
            texts={"nl": "", "sv": "x", "en": "x"},
            starts_on="2026-05-02",
            ends_on="2026-05-01",
            audience="country",
            country="DE",
        )
    assert {"text_nl", "ends_on", "country"} <= set(exc.value.errors)
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    with pytest.raises(Forbidden):
        await announcements.publish(await actor_of(contact), texts=TEXTS, starts_on=TODAY, ends_on=TODAY)
    assert await Announcement.count() == 0


async def test_a_user_sees_the_banner_in_their_language_until_dismissed_for_the_session(client):
    # rule MOD-9
    org = await factories.organisation()
    user = await factories.member(org)
    row = await publish()
    await sign_in_person(client, user["person_row"])
    banners = await client.get("/banners", headers={"HX-Request": "true"})
    assert "New message standard iWmo 3.2" in text_of(banners.text)
    dismissed = await client.htmx("POST", f"/banners/announcements/{row['id']}/dismiss")
    assert dismissed.status_code == 200
    again = await client.get("/banners", headers={"HX-Request": "true"})
    assert "New message standard" not in text_of(again.text)


async def test_a_vendor_admin_publishes_through_the_form(client):
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    form = {
        "text_nl": "a",
        "text_sv": "b",
        "text_en": "",
        "starts_on": TODAY.isoformat(),
        "ends_on": TODAY.isoformat(),
        "audience": "everyone",
    }
    bad = await client.post_form("/admin/announcements", form)
    assert bad.status_code == 422 and await Announcement.count() == 0
    done = await client.post_form(
        "/admin/announcements", {**form, "text_en": "Maintenance tonight"}, follow_redirects=True
    )
    assert "The announcement is published." in text_of(done.text)
    assert "Maintenance tonight" in text_of(
        (await client.get("/banners", headers={"HX-Request": "true"})).text
    )
