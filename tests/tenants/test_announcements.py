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
from tests.signed_in import sign_in_person
from tests.support import text_of, vendor_today
from tests.tenants.test_rights import actor_of, subscribed_org

TODAY = vendor_today()
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


async def test_a_vendor_admin_corrects_a_running_announcement_and_users_see_the_correction(client):
    # rule MOD-9
    org = await factories.organisation()
    user = await factories.member(org)
    row = await publish()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    form = {
        "text_nl": "Onderhoud vannacht",
        "text_sv": "Underhåll i natt",
        "text_en": "Maintenance tonight",
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + dt.timedelta(days=2)).isoformat(),
        "audience": "everyone",
    }
    page = await client.get(f"/admin/announcements/{row['id']}")
    assert "New message standard iWmo 3.2" in page.text  # the form holds the current text
    bad = await client.post_form(f"/admin/announcements/{row['id']}", {**form, "ends_on": "2000-01-01"})
    assert bad.status_code == 422 and "The last day cannot be before the first day." in text_of(bad.text)
    assert (await announcements.get(await admin_actor(), row["id"]))["text_en"] == TEXTS["en"]
    done = await client.post_form(f"/admin/announcements/{row['id']}", form, follow_redirects=True)
    assert "The announcement is changed." in text_of(done.text)
    entry = await AuditEntry.select().where(AuditEntry.action == "announcements.changed").first()
    assert entry is not None and entry["object_id"] == str(row["id"])
    shown = await announcements.current_for(await actor_of(user))
    assert [a["text"] for a in shown] == ["Maintenance tonight"]


async def test_a_withdrawn_announcement_disappears_at_once_and_stays_listed(client):
    # rule MOD-9
    org = await factories.organisation()
    user = await factories.member(org)
    row = await publish()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    done = await client.post_form(f"/admin/announcements/{row['id']}/withdraw", {}, follow_redirects=True)
    assert "The announcement is withdrawn: nobody sees it any more." in text_of(done.text)
    assert "Withdrawn on" in text_of(done.text)
    assert await announcements.current_for(await actor_of(user)) == []
    assert await AuditEntry.exists().where(AuditEntry.action == "announcements.withdrawn")
    again = await client.post_form(f"/admin/announcements/{row['id']}/withdraw", {})
    assert again.status_code == 409
    change = await client.post_form(
        f"/admin/announcements/{row['id']}",
        {
            **{f"text_{loc}": t for loc, t in TEXTS.items()},
            "starts_on": TODAY.isoformat(),
            "ends_on": TODAY.isoformat(),
            "audience": "everyone",
        },
    )
    assert change.status_code == 409
    assert (await client.get("/admin/announcements/999999")).status_code == 404


async def test_only_vendor_admins_change_or_withdraw_announcements(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    row = await publish()
    await sign_in_person(client, contact["person_row"])
    assert (await client.get(f"/admin/announcements/{row['id']}")).status_code == 403
    assert (await client.post_form(f"/admin/announcements/{row['id']}/withdraw", {})).status_code == 403
    with pytest.raises(Forbidden):
        await announcements.withdraw(await actor_of(contact), row["id"])
    assert (await announcements.get(await admin_actor(), row["id"]))["withdrawn_at"] is None
