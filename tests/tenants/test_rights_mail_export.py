"""Module mails (MOD-6), the CSV export of users (MOD-3) and the registered e-mail while a
personal certificate is held (MOD-5)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest

from src.certificates.tables import Certificate, CertificateAuthority
from src.core.errors import Forbidden, InputError
from src.core.tables import OutboxMessage
from src.core.tenancy import SYSTEM
from src.identity.auth import build_actor
from src.subscriptions.catalogue import seed_catalogue
from src.tenants.services import module_mails, rights, user_changes
from src.tenants.tables import Membership
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of
from tests.tenants.test_rights import actor_of, module_id, subscribed_org


@pytest.fixture(autouse=True)
async def _catalogue() -> None:
    await seed_catalogue()


def recipients() -> Any:
    async def collect() -> set[str]:
        rows = await OutboxMessage.select().where(OutboxMessage.actor_name == "send_mail")
        found: set[str] = set()
        for row in rows:
            payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
            found.update(payload["to"])
        return found

    return collect()


async def test_a_module_message_goes_to_every_user_with_rights_for_that_module():
    # rule MOD-6
    org = await subscribed_org()
    other = await subscribed_org()
    contact = await factories.member(org, role="contact_person", email="cp@org.example")
    a = await factories.member(org, email="a@org.example")
    b = await factories.member(org, email="b@org.example")
    gone = await factories.member(org, email="gone@org.example")
    elsewhere = await factories.member(other, email="x@other.example", role="contact_person")
    requests_module = await module_id("requests")
    for who in (a, gone):
        await rights.set_right(await actor_of(contact), org["id"], who["id"], requests_module, granted=True)
    await rights.set_right(
        await actor_of(elsewhere), other["id"], elsewhere["id"], requests_module, granted=True
    )
    await rights.set_right(
        await actor_of(contact), org["id"], b["id"], await module_id("negotiation"), granted=True
    )
    await Membership.update({Membership.active: False}).where(Membership.id == gone["id"])
    sent = await module_mails.send_module_message(
        SYSTEM,
        module_id=requests_module,
        subject="New request",
        body="A request awaits.",
        organisation_id=org["id"],
        key="event-1",
    )
    assert sent == 1 and await recipients() == {"a@org.example"}
    again = await module_mails.send_module_message(
        SYSTEM,
        module_id=requests_module,
        subject="New request",
        body="A request awaits.",
        organisation_id=org["id"],
        key="event-1",
    )
    assert again == 1 and await OutboxMessage.count() == 1  # the same event mails once
    admin = await factories.vendor_admin()
    admin_actor = await build_actor(admin["id"], None, "127.0.0.1")
    await module_mails.send_module_message(
        admin_actor, module_id=requests_module, subject="All", body="Everyone"
    )
    assert await recipients() == {"a@org.example", "x@other.example"}


async def test_only_vendor_admins_or_the_system_send_module_messages():
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    with pytest.raises(Forbidden):
        await module_mails.send_module_message(
            await actor_of(contact), module_id=await module_id("requests"), subject="s", body="b"
        )
    with pytest.raises(InputError) as exc:
        await module_mails.send_module_message(SYSTEM, module_id=0, subject="", body="")
    assert set(exc.value.errors) == {"module", "subject", "body"}


async def test_the_profile_lists_module_mails_that_cannot_be_switched_off(client):
    # rule MOD-6
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person")
    await rights.set_right(
        await actor_of(contact), org["id"], contact["id"], await module_id("contracting"), granted=True
    )
    await sign_in_person(client, contact["person_row"])
    text = text_of((await client.get("/profile")).text)
    assert "Module e-mails" in text and "Contracting" in text and "cannot be switched off" in text


async def test_a_vendor_admin_sends_a_module_message_through_the_form(client):
    # rule MOD-6
    org = await subscribed_org()
    contact = await factories.member(org, role="contact_person", email="c@org.example")
    await rights.set_right(
        await actor_of(contact), org["id"], contact["id"], await module_id("requests"), granted=True
    )
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    bad = await client.post_form("/admin/module-messages", {"module": "", "subject": "", "body": ""})
    assert bad.status_code == 422 and "Enter a subject." in text_of(bad.text)
    done = await client.post_form(
        "/admin/module-messages",
        {"module": str(await module_id("requests")), "organisation": "", "subject": "Hi", "body": "News"},
        follow_redirects=True,
    )
    assert "The message goes to 1 user." in text_of(done.text)


async def test_a_contact_person_exports_every_user_with_email_and_rights_as_csv(client):
    # rule MOD-3
    org = await subscribed_org()
    contact = await factories.member(
        org, role="contact_person", name="Cees Contact", email="cees@org.example"
    )
    user = await factories.member(org, name="=HYPERLINK()", email="u@org.example")
    await rights.set_right(
        await actor_of(contact),
        org["id"],
        user["id"],
        await module_id("contracting"),
        granted=True,
        signing=True,
    )
    await sign_in_person(client, contact["person_row"])
    answer = await client.get("/organisation/rights/export.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:2] == ["Name", "Registered e-mail"]
    by_email = {r[1]: r for r in rows[1:]}
    assert by_email["u@org.example"][0] == "'=HYPERLINK()"  # never a formula
    # People read the export: module names, role and state in words, never codes.
    assert by_email["u@org.example"][2:] == [
        "End user",
        "Yes",
        "Care procurement portal – Contracting (with signing rights)",
    ]
    assert by_email["cees@org.example"][2] == "Contact person"
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"


async def test_the_export_is_for_contact_persons_only(client):
    org = await subscribed_org()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    assert (await client.get("/organisation/rights/export.csv")).status_code == 403


async def personal_certificate(member: dict[str, Any], **fields: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    ca = await CertificateAuthority.insert(
        CertificateAuthority(
            name="CA",
            role="issuing",
            subject_dn="CN=CA",
            serial_hex=f"ca{member['id']}",
            certificate_pem="x",
            encrypted_key="x",
            not_before=now,
            not_after=now + dt.timedelta(days=999),
        )
    ).returning(CertificateAuthority.id)
    values: dict[str, Any] = {
        "number": f"P{member['id']}",
        "organisation": member["organisation"],
        "issuer": ca[0]["id"],
        "kind": "personal",
        "serial_hex": f"c{member['id']}",
        "subject_dn": "CN=x",
        "holder": member["id"],
        "pem": "x",
        "not_before": now - dt.timedelta(days=1),
        "not_after": now + dt.timedelta(days=300),
        "revocation_code_hash": "x",
    }
    values.update(fields)
    await Certificate.insert(Certificate(**values))


async def test_the_registered_email_cannot_be_blanked_while_a_personal_certificate_is_held():
    # rule MOD-5
    org = await factories.organisation()
    user = await factories.member(org, email="me@org.example")
    await personal_certificate(user)
    with pytest.raises(InputError) as exc:
        await user_changes.change_own_email(await actor_of(user), "", True)
    assert "cannot be removed while you hold a personal certificate" in exc.value.errors["email"]
    assert (await Membership.select().where(Membership.id == user["id"]).first())["email"] == "me@org.example"
    assert await rights.holds_valid_personal_certificate(await actor_of(user), user["id"])


async def test_a_revoked_or_expired_certificate_does_not_count():
    # rule MOD-5
    org = await factories.organisation()
    revoked = await factories.member(org)
    expired = await factories.member(org)
    await personal_certificate(revoked, revoked_at=dt.datetime.now(dt.UTC))
    await personal_certificate(expired, not_after=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    assert not await rights.holds_valid_personal_certificate(await actor_of(revoked), revoked["id"])
    assert not await rights.holds_valid_personal_certificate(await actor_of(expired), expired["id"])
