"""A user who leaves before the deadline is told how to handle the records they created
(rule AG-7): one mail when their organisation still lacks agreement or subscription for a service
whose earlier terms of use have not ended yet; none otherwise."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from src.core.errors import Conflict
from src.core.i18n import current_locale, format_date
from src.core.tables import CaughtMail, OutboxMessage
from src.subscriptions.catalogue import seed_catalogue
from src.tenants.services import leavers, user_changes
from src.tenants.tables import Person
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import vendor_today
from tests.tenants.test_compliance import actor_of, announce, sign_agreement, subscribe
from tests.tenants.test_invitation import run_outbox

TODAY = vendor_today()


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def _organisation(**fields: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    org = await factories.organisation(**fields)
    contact = await factories.member(
        org,
        await factories.person(name="Carla Contact", email="carla@zorg.example"),
        role="contact_person",
        email="carla@zorg.example",
    )
    leaver = await factories.member(
        # reads the portal in English (saved), so the texts below are the English ones
        org,
        await factories.person(name="Lars Leaver", locale="en"),
        email="lars@zorg.example",
    )
    return org, contact, leaver


async def _notices() -> list[dict[str, Any]]:
    rows = await OutboxMessage.select().where(OutboxMessage.dedupe_key.like("leaver-notice:%"))
    for row in rows:
        if isinstance(row["payload"], str):
            row["payload"] = json.loads(row["payload"])
    return rows


async def test_a_leaver_before_the_deadline_gets_one_mail_about_their_records():
    # rule AG-7
    notice = await announce("webcert", announced_on=TODAY - dt.timedelta(days=10), months=6)
    org, contact, leaver = await _organisation(name="Zorggroep Vertrek B.V.")
    await factories.member(org, role="contact_person", name="Dora Deputy", email="dora@zorg.example")

    await user_changes.set_active(await actor_of(contact), org["id"], leaver["id"], False)

    [queued] = await _notices()
    assert queued["actor_name"] == "send_mail"
    assert queued["payload"]["to"] == ["lars@zorg.example"]
    await run_outbox()
    await run_outbox()  # a retry or a second worker never sends it twice
    mails = [m for m in await CaughtMail.select() if m["recipients"] == "lars@zorg.example"]
    assert len(mails) == 1
    body = mails[0]["body"]
    assert "Zorggroep Vertrek B.V." in mails[0]["subject"]
    assert "Dear Lars Leaver," in body
    assert "Webcert" in body
    assert "stay with Zorggroep Vertrek B.V." in body
    assert "stored in our database" in body
    assert f"can read and export them, also after {format_date(notice['ends_on'])}" in body
    # whom to ask: the organisation's contact persons
    assert "Carla Contact <carla@zorg.example>" in body
    assert "Dora Deputy <dora@zorg.example>" in body

    # the same deactivation again changes nothing and sends nothing
    await user_changes.set_active(await actor_of(contact), org["id"], leaver["id"], False)
    assert len(await _notices()) == 1


async def test_one_mail_names_every_service_with_an_open_deadline():
    # rule AG-7
    await announce("webcert", months=6)
    await announce("procurement_portal", months=9)
    org, contact, leaver = await _organisation()
    await user_changes.set_active(await actor_of(contact), org["id"], leaver["id"], False)
    [queued] = await _notices()
    body = queued["payload"]["body"]
    assert "Webcert" in body and "procurement" in body.lower()


async def test_no_mail_when_the_organisation_has_agreement_and_subscription():
    # rule AG-7, rule AG-1
    await announce("webcert")
    org, contact, leaver = await _organisation()
    await sign_agreement(org)
    await subscribe(org, "webcert")
    await user_changes.set_active(await actor_of(contact), org["id"], leaver["id"], False)
    assert await _notices() == []


async def test_no_mail_after_the_deadline_or_without_an_announcement():
    # rule AG-7
    org, contact, leaver = await _organisation()
    await user_changes.set_active(
        await actor_of(contact), org["id"], leaver["id"], False
    )  # nothing announced
    assert await _notices() == []
    await user_changes.set_active(await actor_of(contact), org["id"], leaver["id"], True)
    await announce("webcert", announced_on=TODAY - dt.timedelta(days=200), months=6)  # deadline passed
    await user_changes.set_active(await actor_of(contact), org["id"], leaver["id"], False)
    assert await _notices() == []


async def test_a_refused_deactivation_sends_nothing():
    # rule AG-7: the mail is queued in the deactivation's transaction
    await announce("webcert")
    org, contact, _leaver = await _organisation()
    with pytest.raises(Conflict):  # the last contact person cannot leave
        await user_changes.set_active(await actor_of(contact), org["id"], contact["id"], False)
    assert await _notices() == []


async def test_the_mail_is_in_the_leavers_saved_language_else_the_organisations(monkeypatch):
    # rule AG-7
    await announce("webcert")
    org, contact, leaver = await _organisation()
    second = await factories.member(org, email="sven@zorg.example")
    await Person.update({Person.locale: "sv"}).where(Person.id == leaver["person"])
    languages: list[str] = []
    text = leavers.notice_text

    def spy(**kwargs: Any) -> tuple[str, str]:
        languages.append(current_locale.get())
        return text(**kwargs)

    monkeypatch.setattr(leavers, "notice_text", spy)
    outer = current_locale.set("en")  # the contact person reads the portal in English
    try:
        await user_changes.set_active(await actor_of(contact), org["id"], leaver["id"], False)
        await user_changes.set_active(await actor_of(contact), org["id"], second["id"], False)
        assert current_locale.get() == "en"
    finally:
        current_locale.reset(outer)
    assert languages == ["sv", "nl"]  # saved preference; else the Dutch organisation's language
    assert len(await _notices()) == 2


async def test_deactivating_on_the_users_page_queues_the_mail(client):
    # rule AG-7
    await announce("webcert")
    _org, contact, leaver = await _organisation()
    await sign_in_person(client, contact["person_row"])
    answer = await client.post_form(f"/organisation/users/{leaver['id']}/deactivate")
    assert answer.status_code in (200, 302, 303)
    [queued] = await _notices()
    assert queued["payload"]["to"] == ["lars@zorg.example"]
    await run_outbox()
    assert await CaughtMail.exists().where(CaughtMail.recipients == "lars@zorg.example")
