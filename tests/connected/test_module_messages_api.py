"""A connected service's module events reach every active user with rights for the module, in
their language, once per event id (rule MOD-6); the vendor admins' form takes the same path."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from src.core.tables import OutboxMessage
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services.subscriptions import service_modules
from src.tenants.tables import Membership
from tests import factories
from tests.connected.support import connected_service, grant, subscribe
from tests.signed_in import sign_in_person
from tests.support import text_of

SUBJECT = {"nl": "Nieuwe uitvraag", "sv": "Ny förfrågan", "en": "New request"}
BODY = {"nl": "Er wacht een uitvraag.", "sv": "En förfrågan väntar.", "en": "A request awaits."}


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


async def mails() -> dict[str, dict[str, Any]]:
    """The queued mails by recipient."""
    found: dict[str, dict[str, Any]] = {}
    for row in await OutboxMessage.select().where(OutboxMessage.actor_name == "send_mail"):
        payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        for to in payload["to"]:
            assert to not in found, f"{to} got two mails"
            found[to] = payload
    return found


async def organisation_with_users() -> tuple[dict[str, Any], dict[str, Any]]:
    org = await factories.organisation(country="NL")
    await subscribe(org, "procurement_portal", "standard")
    dutch = await factories.member(org, email="nl@org.example")
    swedish = await factories.member(org, await factories.person(locale="sv"), email="sv@org.example")
    english = await factories.member(org, await factories.person(locale="en"), email="en@org.example")
    other_module = await factories.member(org, email="other@org.example")
    gone = await factories.member(org, email="gone@org.example")
    for who in (dutch, swedish, english, gone):
        await grant(org, who, "requests")
    await grant(org, other_module, "negotiation")
    await Membership.update({Membership.active: False}).where(Membership.id == gone["id"])
    elsewhere = await factories.organisation()
    await subscribe(elsewhere, "procurement_portal", "standard")
    await grant(elsewhere, await factories.member(elsewhere, email="x@elsewhere.example"), "requests")
    return org, {"nl": dutch, "sv": swedish, "en": english}


async def test_an_event_reaches_exactly_the_users_with_rights_in_their_language_once(app):
    # rule MOD-6
    org, _users = await organisation_with_users()
    message = {
        "organisation": org["kvk_number"],
        "module": "requests",
        "subject": SUBJECT,
        "body": BODY,
        "event_id": "request-4711",
    }
    async with connected_service(app, "procurement_portal") as portal:
        first = await portal.module_message(message)
        assert first.status_code == 202, first.text
        assert first.json() == {"recipients": 3, "duplicate": False}
        sent = await mails()
        assert set(sent) == {"nl@org.example", "sv@org.example", "en@org.example"}
        assert sent["nl@org.example"]["subject"] == "Nieuwe uitvraag"
        assert sent["sv@org.example"]["subject"] == "Ny förfrågan"
        assert sent["en@org.example"]["body"].strip() == "A request awaits."
        again = await portal.module_message(message)
        assert again.status_code == 200 and again.json() == {"recipients": 3, "duplicate": True}
        assert len(await mails()) == 3
        english_only = await portal.module_message(
            {**message, "event_id": "request-4712", "subject": {"en": "Only English"}, "body": {"en": "Text"}}
        )
    assert english_only.status_code == 202
    assert await OutboxMessage.count().where(OutboxMessage.actor_name == "send_mail") == 6


async def test_the_same_event_at_once_twice_sends_once(app):
    # rule MOD-6
    org, _users = await organisation_with_users()
    message = {
        "organisation": str(org["id"]),
        "module": "requests",
        "subject": SUBJECT,
        "body": BODY,
        "event_id": "e-1",
    }
    async with connected_service(app, "procurement_portal") as portal:
        answers = await asyncio.gather(*(portal.module_message(message) for _ in range(3)))
    assert sorted(a.status_code for a in answers) == [200, 200, 202]
    assert {a.json()["recipients"] for a in answers} == {3}
    assert len(await mails()) == 3


async def test_bad_messages_are_refused_naming_the_field(app):
    org, _users = await organisation_with_users()
    async with connected_service(app, "procurement_portal") as portal:
        wrong_module = await portal.module_message(
            {"organisation": org["kvk_number"], "module": "nope", "subject": SUBJECT, "body": BODY}
        )
        half = await portal.module_message(
            {
                "organisation": org["kvk_number"],
                "module": "requests",
                "subject": {"nl": "Onderwerp"},
                "body": {"en": "x"},
            }
        )
        nowhere = await portal.module_message(
            {"organisation": "99999998", "module": "requests", "subject": SUBJECT, "body": BODY}
        )
        await portal.module_message(
            {
                "organisation": org["kvk_number"],
                "module": "requests",
                "subject": SUBJECT,
                "body": BODY,
                "event_id": "x",
            }
        )
        other = await factories.organisation()
        elsewhere = await portal.module_message(
            {
                "organisation": other["kvk_number"],
                "module": "requests",
                "subject": SUBJECT,
                "body": BODY,
                "event_id": "x",
            }
        )
    assert wrong_module.status_code == 422 and wrong_module.json()["errors"][0]["field"] == "module"
    assert half.status_code == 422
    assert {e["field"] for e in half.json()["errors"]} == {"body.nl", "subject.en"}
    assert nowhere.status_code == 404
    assert elsewhere.status_code == 409


async def test_the_vendor_admins_form_takes_the_same_path_with_texts_per_language(client):
    # rule MOD-6
    org, _users = await organisation_with_users()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    module = next(m["id"] for m in await service_modules() if m["code"] == "requests")
    half = await client.post_form(
        "/admin/module-messages",
        {"module": str(module), "organisation": str(org["id"]), "subject_sv": "Underhåll"},
    )
    assert (
        half.status_code == 422
        and 'id="f-body_sv"' in half.text
        and "Enter the message." in text_of(half.text)
    )
    sent = await client.post_form(
        "/admin/module-messages",
        {
            "module": str(module),
            "organisation": str(org["id"]),
            "subject": "Onderhoud",
            "body": "Vanavond.",
            "subject_sv": "Underhåll",
            "body_sv": "I kväll.",
        },
        follow_redirects=True,
    )
    assert "The message goes to 3 users." in text_of(sent.text)
    mailed = await mails()
    assert set(mailed) == {"nl@org.example", "sv@org.example", "en@org.example"}
    assert (
        mailed["sv@org.example"]["subject"] == "Underhåll"
        and mailed["nl@org.example"]["subject"] == "Onderhoud"
    )
