"""Every mail the portal writes has one layout in its reader's language: the greeting, the text,
and the service desk's sign-off."""

from __future__ import annotations

import dataclasses
import json
import os

from src.certificates.services.revocation import revoke_certificate
from src.core import i18n, mail
from src.core.tables import OutboxMessage
from src.settings import Settings, get_settings, override_settings
from src.tenants.services.leavers import notice_text
from src.tenants.tasks import invitation_text
from tests import factories
from tests.certificates.pki_support import VENDOR, issue

SIGN_OFF = {
    "nl": "\n\nMet vriendelijke groet,\nServicedesk Zorg-IT\nservicedesk@zorg-it.example\n+31 30 123 45 67\n",
    "sv": "\n\nMed vänliga hälsningar,\nServicedesk Zorg-IT\nservicedesk@zorg-it.example\n+31 30 123 45 67\n",
    "en": "\n\nKind regards,\nServicedesk Zorg-IT\nservicedesk@zorg-it.example\n+31 30 123 45 67\n",
}


def _with_service_desk() -> None:
    override_settings(
        dataclasses.replace(
            Settings.from_env(dict(os.environ)),
            service_desk_name="Servicedesk Zorg-IT",
            service_desk_email="servicedesk@zorg-it.example",
            service_desk_phone="+31 30 123 45 67",
        )
    )


def test_a_letter_is_greeting_text_and_the_service_desks_sign_off() -> None:
    _with_service_desk()
    for locale, sign_off in SIGN_OFF.items():
        token = i18n.current_locale.set(locale)
        try:
            text = mail.letter("Dear Ann,", ["First line.", "", "Second line.", "", ""])
        finally:
            i18n.current_locale.reset(token)
        assert text == "Dear Ann,\n\nFirst line.\n\nSecond line." + sign_off


def test_without_a_service_desk_the_portal_signs() -> None:
    assert get_settings().service_desk_name == ""
    token = i18n.current_locale.set("nl")
    try:
        assert mail.letter("Beste Ann,", ["Tekst."]).endswith("\n\nMet vriendelijke groet,\nZorgportaal\n")
    finally:
        i18n.current_locale.reset(token)


async def test_the_portals_mails_share_the_layout() -> None:
    _with_service_desk()
    token = i18n.current_locale.set("sv")
    try:
        _subject, invitation = invitation_text(
            name="Ann",
            organisation="Vårdcentralen AB",
            invited_by="Karin",
            portal_url="https://portal.example",
            has_pin=True,
            has_card=False,
        )
        _subject, notice = notice_text(name="Ann", organisation="Vårdcentralen AB", gaps=[], contacts=[])
    finally:
        i18n.current_locale.reset(token)
    for text in (invitation, notice):
        assert text.startswith("Hej Ann,\n\n")
        assert text.endswith(SIGN_OFF["sv"])
    org = await factories.organisation(name="Zorggroep Taal B.V.", country="NL")
    await factories.member(org, role="contact_person", email="carla@zorg.example")
    issued, _org, _holder = await issue(org)
    await revoke_certificate(VENDOR, issued.certificate_id, "data_changed", "portal")
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key.like("certificates.revoked:%")).first()
    payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    assert payload["body"].endswith(SIGN_OFF["nl"])
