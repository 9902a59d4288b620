"""The local mail catcher: vendor admins read the mail the embedded default did not send."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from src.core.tables import CaughtAttachment, CaughtMail
from src.settings import Settings, get_settings, override_settings
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import PortalClient, text_of


async def catch(subject: str, body: str = "Hello", minutes: int = 0, to: str = "ann@example.org") -> int:
    row = await CaughtMail.insert(
        CaughtMail(
            at=dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes),
            sender="portal@localhost",
            recipients=to,
            subject=subject,
            body=body,
        )
    ).returning(CaughtMail.id)
    return int(row[0]["id"])


async def test_a_vendor_admin_reads_caught_mail_newest_first_and_opens_one(client):
    await catch("Welcome to the portal", minutes=0)
    second = await catch(
        "Your certificate",
        body="Dear Ann,\n\n<b>not bold</b>\n  indented line",
        minutes=5,
        to="b@example.org",
    )
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")

    listing = await client.get("/admin/mail")
    assert listing.status_code == 200
    text = text_of(listing.text)
    assert text.index("Your certificate") < text.index("Welcome to the portal")
    assert "No SMTP server is configured" in text
    assert text.count("New") >= 2

    one = await client.get(f"/admin/mail/{second}")
    assert one.status_code == 200
    assert "b@example.org" in one.text and "portal@localhost" in one.text
    assert '<pre class="mail">Dear Ann,\n\n&lt;b&gt;not bold&lt;/b&gt;\n  indented line</pre>' in one.text
    assert (await CaughtMail.select(CaughtMail.read).where(CaughtMail.id == second).first()) == {"read": True}


async def test_people_of_organisations_may_not_read_caught_mail(client):
    mail_id = await catch("Secret")
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    assert (await client.get("/admin/mail")).status_code == 403
    assert (await client.get(f"/admin/mail/{mail_id}")).status_code == 403


async def _catch_letter() -> tuple[int, int]:
    mail_id = await catch("Your certificate application", body="See the letter.")
    row = await CaughtAttachment.insert(
        CaughtAttachment(
            mail=mail_id,
            filename="Bevestiging CRT-2026-000001.pdf",
            content_type="application/pdf",
            content=b"%PDF-1.7\x00\xffthe letter",
        )
    ).returning(CaughtAttachment.id)
    return mail_id, int(row[0]["id"])


async def test_a_vendor_admin_downloads_a_caught_mails_attachment(client):
    mail_id, attachment_id = await _catch_letter()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    url = f"/admin/mail/{mail_id}/attachments/{attachment_id}"

    listing = await client.get("/admin/mail")
    assert f'href="{url}"' in listing.text
    assert "Bevestiging CRT-2026-000001.pdf" in text_of(listing.text)
    one = await client.get(f"/admin/mail/{mail_id}")
    assert f'href="{url}"' in one.text
    assert "Attachments" in text_of(one.text)

    download = await client.get(url)
    assert download.status_code == 200
    assert download.content == b"%PDF-1.7\x00\xffthe letter"
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == (
        'attachment; filename="Bevestiging CRT-2026-000001.pdf"; '
        "filename*=UTF-8''Bevestiging%20CRT-2026-000001.pdf"
    )
    assert download.headers["cache-control"] == "no-store"
    # An attachment asked for under another mail does not exist.
    other = await catch("Other")
    assert (await client.get(f"/admin/mail/{other}/attachments/{attachment_id}")).status_code == 404


async def test_people_of_organisations_may_not_download_attachments(client):
    mail_id, attachment_id = await _catch_letter()
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    url = f"/admin/mail/{mail_id}/attachments/{attachment_id}"
    assert (await client.get(url, follow_redirects=False)).headers["location"].startswith("/signin")
    await sign_in_person(client, contact["person_row"])
    refused = await client.get(url)
    assert refused.status_code == 403
    assert b"the letter" not in refused.content


async def test_a_mail_that_does_not_exist_answers_404(client):
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    assert (await client.get("/admin/mail/999999")).status_code == 404


async def test_the_mail_list_pages_by_fifty(client):
    for n in range(55):
        await catch(f"Mail number {n:02d}", minutes=n)
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    first = await client.get("/admin/mail")
    assert "Mail number 54" in first.text and "Mail number 05" in first.text
    assert "Mail number 04" not in first.text
    second = await client.htmx("GET", "/admin/mail?page=2")
    assert "<html" not in second.text
    assert "Mail number 04" in second.text and "Mail number 00" in second.text


@pytest.fixture
async def smtp_client() -> AsyncIterator[PortalClient]:
    from src.app import create_app

    previous = get_settings()
    settings = dataclasses.replace(
        Settings.from_env(dict(os.environ)), smtp_host="mail.example.org", smtp_port=587
    )
    app = create_app(settings, run_worker=False, start_pool=False)
    try:
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as raw:
            yield PortalClient(raw)
    finally:
        override_settings(previous)


async def test_with_smtp_configured_the_page_says_mail_is_sent_not_caught(smtp_client):
    admin = await factories.vendor_admin()
    await sign_in_person(smtp_client, admin, provider="staff")
    text = text_of((await smtp_client.get("/admin/mail")).text)
    assert "Mail is sent through the SMTP server mail.example.org:587" in text
