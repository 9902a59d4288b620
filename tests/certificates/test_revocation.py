"""Revocation: public page with number and code, portal, API, and a user leaving (rules REV-1..4,
REV-6, MOD-7)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from litestar.testing import AsyncTestClient

from src.certificates import reasons
from src.certificates.services import crl as crl_service
from src.certificates.services import ocsp as ocsp_service
from src.certificates.services.revocation import revoke_certificate
from src.certificates.tables import Certificate, CrlState, Revocation
from src.core import db, i18n
from src.core.errors import Conflict
from src.core.tables import AuditEntry, CaughtMail, OutboxMessage
from src.identity.auth import build_actor
from src.identity.services import create_token
from src.tenants.services import user_changes
from src.workers.broker import ASYNC_IMPLEMENTATIONS
from tests import factories
from tests.certificates.pki_support import VENDOR, issue, split_chain
from tests.core.test_pdf import pdf_text
from tests.signed_in import sign_in_person
from tests.support import FromAddress, PortalClient, limited_app, running_portal, text_of


async def run_outbox() -> None:
    for row in await OutboxMessage.select().order_by(OutboxMessage.id):
        payload = row["payload"]
        if isinstance(payload, str):
            payload = json.loads(payload)
        await ASYNC_IMPLEMENTATIONS[row["actor_name"]](**payload, dedupe_key=row["dedupe_key"])


def _token(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def _check(client: Any, number: str, code: str, reason: str = "organisation_ceased") -> Any:
    return await client.post_form("/revoke", {"number": number, "code": code, "reason": reason})


def test_reasons_map_to_rfc5280_codes() -> None:
    # rule REV-3, with the mapping documented in src/certificates/reasons.py
    assert reasons.reason_code("organisation_ceased") == 5
    assert reasons.reason_code("criteria_not_met") == 9
    assert reasons.reason_code("data_changed") == 3
    assert reasons.reason_code("ict_support_lapsed") == 5
    assert reasons.reason_code("user_left") == 3
    assert reasons.reason_code("key_compromise") == 1


async def test_public_revocation_with_number_and_code(client: Any) -> None:
    org = await factories.organisation(country="NL")
    await factories.member(org, role="contact_person", email="contact@zorg.example")
    issued, _, _ = await issue(org)
    # rule REV-1: the page needs no sign-in
    page = await client.get("/revoke")
    assert page.status_code == 200 and "Revocation code" in page.text

    # the code is checked, then a confirm step shows what will be revoked
    checked = await _check(client, issued.number.lower(), issued.revocation_code.lower().replace("-", " "))
    assert checked.status_code == 200, text_of(checked.text)
    assert "Confirm the revocation" in checked.text and issued.number in checked.text
    assert not await Revocation.exists()  # nothing revoked before confirming

    done = await client.post_form(
        "/revoke/confirm", {"token": _token(checked.text), "reason": "organisation_ceased"}
    )
    assert done.status_code == 200
    # rule REV-4: confirmed at once; rule REV-6: the exact moment, in the organisation's time zone
    assert "The revocation succeeded" in done.text
    revocation = await Revocation.select().first()
    assert revocation["channel"] == "online_code" and revocation["reason_code"] == 5
    assert revocation["revoked_at"].isoformat(timespec="microseconds").replace(
        "+00:00", ""
    ) in done.text.replace("+00:00", "")
    assert re.search(r"(CET|CEST|Central European)", text_of(done.text))
    cert = await Certificate.select().where(Certificate.id == issued.certificate_id).first()
    assert cert["revoked_at"] == revocation["revoked_at"]
    assert await AuditEntry.exists().where(AuditEntry.action == "certificates.revoked")

    # every revocation notifies the subscriber
    await run_outbox()
    mail = await CaughtMail.select().first()
    assert mail["recipients"] == "contact@zorg.example"
    assert issued.number in mail["subject"]

    # rule REV-2: irrevocable; the right code a second time says so
    again = await _check(client, issued.number, issued.revocation_code)
    assert again.status_code == 409
    assert "already revoked" in text_of(again.text)
    replay = await client.post_form(
        "/revoke/confirm", {"token": _token(checked.text), "reason": "organisation_ceased"}
    )
    assert replay.status_code == 409 and "already revoked" in text_of(replay.text)
    assert await Revocation.count() == 1


async def test_wrong_code_and_unknown_number_give_the_same_answer(client: Any) -> None:
    issued, _, _ = await issue()
    wrong = await _check(client, issued.number, "AAAA-BBBB-CCCC-DDDD")
    unknown = await _check(client, "S-1999-000001", issued.revocation_code)
    assert wrong.status_code == unknown.status_code == 422
    message = "This certificate number and revocation code do not belong together"
    assert message in wrong.text and message in unknown.text
    # rule REV-1: the answer must not tell the two apart
    assert text_of(wrong.text).replace(issued.number, "N") == text_of(unknown.text).replace(
        "S-1999-000001", "N"
    )
    assert not await Revocation.exists()


async def test_a_forged_or_changed_confirmation_revokes_nothing(client: Any) -> None:
    issued, _, _ = await issue()
    checked = await _check(client, issued.number, issued.revocation_code, "data_changed")
    token = _token(checked.text)
    changed = await client.post_form("/revoke/confirm", {"token": token, "reason": "key_compromise"})
    forged = await client.post_form(
        "/revoke/confirm", {"token": f"{issued.certificate_id}.9999999999.00", "reason": "data_changed"}
    )
    assert changed.status_code == forged.status_code == 422
    assert not await Revocation.exists()


async def test_a_stranger_guessing_cannot_stop_the_holder_from_revoking(app: Any) -> None:
    # rule REV-1: guessing is slowed per address, and never locks the number for its holder
    issued, _, _ = await issue()
    async with (
        AsyncTestClient(
            app=FromAddress(app, "198.51.100.66"), base_url="http://testserver.local"
        ) as raw_attacker,
        AsyncTestClient(app=FromAddress(app, "192.0.2.10"), base_url="http://testserver.local") as raw_holder,
    ):
        attacker, holder = PortalClient(raw_attacker), PortalClient(raw_holder)
        for _ in range(5):
            assert (await _check(attacker, issued.number, "AAAA-BBBB-CCCC-DDDD")).status_code == 422
        limited = await _check(attacker, issued.number, issued.revocation_code)
        assert limited.status_code == 429
        assert "Too many attempts" in limited.text
        assert 3590 <= int(limited.headers["retry-after"]) <= 3600

        checked = await _check(holder, issued.number, issued.revocation_code, "data_changed")
        assert checked.status_code == 200
        done = await holder.post_form(
            "/revoke/confirm", {"token": _token(checked.text), "reason": "data_changed"}
        )
        assert done.status_code == 200
    assert await Revocation.count() == 1


async def test_guessing_is_limited_per_client_address(client: Any) -> None:
    for i in range(20):
        assert (await _check(client, f"S-2026-{i:06d}", "AAAA-BBBB-CCCC-DDDD")).status_code == 422
    limited = await _check(client, "S-2026-999999", "AAAA-BBBB-CCCC-DDDD")
    assert limited.status_code == 429


@pytest.mark.parametrize("same_number", [True, False], ids=["one number", "many numbers"])
async def test_concurrent_guesses_get_exactly_the_allowed_checks(
    limits_redis: str, same_number: bool
) -> None:
    # rule REV-1: 5 checks per number and address, 20 per address, however many arrive at once
    app = limited_app(limits_redis)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as raw:
        client = PortalClient(raw)
        await client.csrf()
        answers = await asyncio.gather(
            *(
                client.post_form(
                    "/revoke",
                    {
                        "number": "S-2026-000001" if same_number else f"S-2026-{i:06d}",
                        "code": "AAAA-BBBB-CCCC-DDDD",
                        "reason": "data_changed",
                    },
                    headers={"Accept-Language": "nl"},
                )
                for i in range(100)
            )
        )
    statuses = [answer.status_code for answer in answers]
    allowed = 5 if same_number else 20
    assert statuses.count(422) == allowed
    assert statuses.count(429) == 100 - allowed
    for answer in answers:
        if answer.status_code == 429:
            assert 1 <= int(answer.headers["retry-after"]) <= 3600
            assert "Te veel pogingen" in text_of(answer.text)


async def test_the_public_page_needs_the_csrf_token(client: Any) -> None:
    issued, _, _ = await issue()
    response = await client.raw.post(
        "/revoke", data={"number": issued.number, "code": issued.revocation_code, "reason": "data_changed"}
    )
    assert response.status_code == 403
    assert not await Revocation.exists()


async def test_revoking_twice_is_refused_in_the_service() -> None:
    issued, _, _ = await issue()
    async with db.transaction():
        await revoke_certificate(VENDOR, issued.certificate_id, "data_changed", "portal")
    # rule REV-2
    with pytest.raises(Conflict, match="already revoked"):
        async with db.transaction():
            await revoke_certificate(VENDOR, issued.certificate_id, "key_compromise", "portal")
    assert await Revocation.count() == 1


async def _bearer(membership: dict[str, Any]) -> dict[str, str]:
    actor = await build_actor(membership["person"], membership["organisation"], "127.0.0.1")
    assert actor is not None
    _row, secret = await create_token(actor, "test")
    return {"Authorization": f"Bearer {secret}"}


async def test_api_revocation_by_contact_person_and_vendor_admin(client: Any) -> None:
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    end_user = await factories.member(org)
    issued, _, _ = await issue(org)
    second, _, _ = await issue(org)
    other_org = await factories.organisation()
    stranger = await factories.member(other_org, role="contact_person")

    url = f"/api/v1/certificates/{issued.number}/revoke"
    body = {"reason": "ict_support_lapsed", "organisation_identifier": org["agb_code"]}
    # another organisation's certificate answers 404, an end user 403
    assert (await client.post(url, json=body, headers=await _bearer(stranger))).status_code == 404
    assert (await client.post(url, json=body, headers=await _bearer(end_user))).status_code == 403
    bad = await client.post(url, json={"reason": "bored"}, headers=await _bearer(contact))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reason"

    response = await client.post(url, json=body, headers=await _bearer(contact))
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["number"] == issued.number and data["reason_code"] == 5 and data["channel"] == "api"
    assert data["organisation_name"] == org["name"] and data["organisation_identifier"] == org["agb_code"]
    again = await client.post(url, json=body, headers=await _bearer(contact))
    assert again.status_code == 409 and "already revoked" in again.json()["detail"]  # rule REV-2

    admin = await factories.vendor_admin()
    admin_actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert admin_actor is not None
    _row, secret = await create_token(admin_actor, "admin")
    by_admin = await client.post(
        f"/api/v1/certificates/{second.number}/revoke",
        json={"reason": "criteria_not_met"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert by_admin.status_code == 200 and by_admin.json()["reason_code"] == 9


async def test_rev7_an_api_request_names_the_organisation_and_the_user_or_nothing_is_revoked(
    client: Any,
) -> None:
    org = await factories.organisation(agb_code="01234567")
    contact = await factories.member(org, role="contact_person")
    leaving = await factories.member(org, name="Jan de Vries")
    personal, _, _ = await issue(org, kind="personal", holder=leaving)
    url = f"/api/v1/certificates/{personal.number}/revoke"
    headers = await _bearer(contact)

    async def attempt(**named: Any) -> Any:
        return await client.post(url, json={"reason": "user_left", **named}, headers=headers)

    unnamed = await attempt()
    assert unnamed.status_code == 422
    assert {e["field"] for e in unnamed.json()["errors"]} == {
        "organisation_identifier",
        "user_number",
        "user_name",
    }
    wrong = [
        {"organisation_identifier": "01234568", "user_number": leaving["id"], "user_name": "Jan de Vries"},
        {
            "organisation_identifier": "01234567",
            "user_number": leaving["id"] + 1,
            "user_name": "Jan de Vries",
        },
        {
            "organisation_identifier": "01234567",
            "user_number": leaving["id"],
            "user_name": "Jan de Vries-Bakker",
        },
    ]
    for named, field in zip(wrong, ("organisation_identifier", "user_number", "user_name"), strict=True):
        answer = await attempt(**named)
        assert answer.status_code == 422 and [e["field"] for e in answer.json()["errors"]] == [field]
    assert (await Certificate.select(Certificate.revoked_at).first())["revoked_at"] is None

    # Spaces and case in the name, separators in the number, are not differences.
    done = await attempt(
        organisation_identifier="0123 4567", user_number=leaving["id"], user_name="jan  de vries"
    )
    assert done.status_code == 200, done.text
    assert (done.json()["user_number"], done.json()["user_name"]) == (leaving["id"], "Jan de Vries")


async def test_contact_person_revokes_from_the_portal(client: Any) -> None:
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    issued, _, _ = await issue(org)
    other, _, _ = await issue()
    await sign_in_person(client, contact["person_row"])

    form = await client.htmx("GET", f"/organisation/certificates/{issued.number}/revoke")
    assert form.status_code == 200 and 'id="revoke-form"' in form.text and "<html" not in form.text
    assert (await client.get(f"/organisation/certificates/{other.number}/revoke")).status_code == 404

    unconfirmed = await client.htmx(
        "POST", f"/organisation/certificates/{issued.number}/revoke", {"reason": "data_changed"}
    )
    assert unconfirmed.status_code == 422 and "cannot be undone" in unconfirmed.text
    assert not await Revocation.exists()

    done = await client.htmx(
        "POST",
        f"/organisation/certificates/{issued.number}/revoke",
        {"reason": "data_changed", "confirm": "yes"},
    )
    assert (
        done.status_code == 200
        and done.headers["HX-Redirect"] == f"/organisation/certificates/{issued.number}"
    )
    revocation = await Revocation.select().first()
    assert revocation["channel"] == "portal" and revocation["revoked_by"] == contact["person"]

    again = await client.htmx(
        "POST",
        f"/organisation/certificates/{issued.number}/revoke",
        {"reason": "data_changed", "confirm": "yes"},
    )
    assert "already revoked" in text_of(again.text) or "was revoked on" in text_of(again.text)


async def test_a_user_who_leaves_loses_personal_certificates_only(client: Any) -> None:
    # rule MOD-7
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    leaving = await factories.member(org, email="leaving@zorg.example")
    personal, _, _ = await issue(org, kind="personal", holder=leaving)
    server, _, _ = await issue(org, kind="server", holder=leaving)
    elsewhere_org = await factories.organisation()
    elsewhere = await factories.member(
        elsewhere_org, leaving["person_row"], email="leaving@elsewhere.example"
    )
    other_service, _, _ = await issue(elsewhere_org, kind="personal", holder=elsewhere)

    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert actor is not None
    await user_changes.set_active(actor, org["id"], leaving["id"], False)

    rows = {r["id"]: r for r in await Certificate.select()}
    assert rows[personal.certificate_id]["revoked_at"] is not None
    revocation = await Revocation.select().where(Revocation.certificate == personal.certificate_id).first()
    assert revocation["reason"] == "user_left" and revocation["reason_code"] == 3
    # the server certificate keeps working but needs a new holder
    assert rows[server.certificate_id]["revoked_at"] is None
    assert rows[server.certificate_id]["needs_new_holder"] is True
    # the person's certificate at another organisation is untouched
    assert rows[other_service.certificate_id]["revoked_at"] is None
    leaf = x509.load_pem_x509_certificate(personal.pem.encode())
    assert leaf.serial_number == int(rows[personal.certificate_id]["serial_hex"], 16)


async def test_a_leavers_personal_certificate_is_published_revoked_as_the_deactivation_commits() -> None:
    # rule MOD-7, published at once: no poll, no fetch needed to renew the CRL
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    leaving = await factories.member(org)
    personal, _, _ = await issue(org, kind="personal", holder=leaving)
    leaf = x509.load_pem_x509_certificate(personal.pem.encode())
    issuer_pem, _root = split_chain(personal.chain_pem)
    issuer_cert = x509.load_pem_x509_certificate(issuer_pem.encode())
    ocsp_request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(leaf, issuer_cert, hashes.SHA256())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    certificate = (
        await Certificate.select(Certificate.issuer).where(Certificate.id == personal.certificate_id).first()
    )
    assert await crl_service.current_crl(certificate["issuer"])  # the CRL as published before
    before = ocsp.load_der_ocsp_response(await ocsp_service.answer(ocsp_request))
    assert before.certificate_status == ocsp.OCSPCertStatus.GOOD

    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert actor is not None
    await user_changes.set_active(actor, org["id"], leaving["id"], False)

    stored = await CrlState.select(CrlState.der).where(CrlState.issuer == certificate["issuer"]).first()
    crl = x509.load_der_x509_crl(base64.b64decode(stored["der"]))
    listed = crl.get_revoked_certificate_by_serial_number(leaf.serial_number)
    assert listed is not None
    assert (
        listed.extensions.get_extension_for_class(x509.CRLReason).value.reason
        == x509.ReasonFlags.affiliation_changed
    )
    after = ocsp.load_der_ocsp_response(await ocsp_service.answer(ocsp_request))
    assert after.certificate_status == ocsp.OCSPCertStatus.REVOKED


async def test_rev7_contact_person_confirms_agb_code_user_number_and_name(client: Any) -> None:
    """Rule REV-7: a revocation request names the organisation's AGB code, the user's number and
    name; the confirmation screen shows those three, so the contact person revokes the right
    certificate, and only that one."""
    org = await factories.organisation(agb_code="01234567")
    contact = await factories.member(org, role="contact_person")
    leaving = await factories.member(org, name="Jan de Vries")
    namesake = await factories.member(org, name="Jan de Vries-Bakker")
    personal, _, _ = await issue(org, kind="personal", holder=leaving)
    other_personal, _, _ = await issue(org, kind="personal", holder=namesake)
    elsewhere, _, _ = await issue(kind="personal")
    await sign_in_person(client, contact["person_row"])

    form = await client.get(f"/organisation/certificates/{personal.number}/revoke")
    assert form.status_code == 200
    seen = text_of(form.text)
    assert "AGB code 01234567" in seen
    assert f"Certificate number {personal.number}" in seen
    assert f"User number {leaving['id']} User Jan de Vries" in seen
    assert "Jan de Vries-Bakker" not in seen and str(other_personal.number) not in seen
    # the facts stay in view when the form comes back with an error
    unconfirmed = await client.htmx(
        "POST", f"/organisation/certificates/{personal.number}/revoke", {"reason": "user_left"}
    )
    assert unconfirmed.status_code == 422
    assert f"User number {leaving['id']} User Jan de Vries" in text_of(unconfirmed.text)

    # another organisation's certificate answers 404, to look at and to revoke
    assert (await client.get(f"/organisation/certificates/{elsewhere.number}/revoke")).status_code == 404
    foreign = await client.post_form(
        f"/organisation/certificates/{elsewhere.number}/revoke", {"reason": "user_left", "confirm": "yes"}
    )
    assert foreign.status_code == 404

    done = await client.htmx(
        "POST",
        f"/organisation/certificates/{personal.number}/revoke",
        {"reason": "user_left", "confirm": "yes"},
    )
    assert done.headers["HX-Redirect"] == f"/organisation/certificates/{personal.number}"
    revoked = {r["number"]: r["revoked_at"] for r in await Certificate.select()}
    assert revoked[personal.number] is not None
    assert revoked[other_personal.number] is None and revoked[elsewhere.number] is None
    detail = await client.get(f"/organisation/certificates/{personal.number}")
    assert "Revoked at" in text_of(detail.text)


async def _revocation_client(base: str, source: str) -> httpx.AsyncClient:
    """A browser at loopback address `source`, holding the revocation page's CSRF cookie."""
    transport = httpx.AsyncHTTPTransport(local_address=source, limits=httpx.Limits(max_connections=20))
    client = httpx.AsyncClient(base_url=base, transport=transport, timeout=60)
    assert (await client.get("/revoke")).status_code == 200
    return client


async def _post_check(client: httpx.AsyncClient, number: str, code: str) -> httpx.Response:
    form = {
        "number": number,
        "code": code,
        "reason": "data_changed",
        "_csrf_token": client.cookies["portal_csrf"],
    }
    return await client.post("/revoke", data=form)


async def test_on_a_real_server_a_stranger_cannot_lock_the_holder_out(tmp_path: Path) -> None:
    # rule REV-1, over real parallel connections from two addresses
    issued, _, _ = await issue()
    with running_portal(tmp_path / "server.log", {}) as base:
        attacker = await _revocation_client(base, "127.0.0.2")
        holder = await _revocation_client(base, "127.0.0.3")
        try:
            guesses = await asyncio.gather(
                *(_post_check(attacker, issued.number, f"AAAA-BBBB-CCCC-{i:04d}") for i in range(20))
            )
            statuses = [answer.status_code for answer in guesses]
            assert statuses.count(422) == 5 and statuses.count(429) == 15
            assert (await _post_check(attacker, issued.number, issued.revocation_code)).status_code == 429

            checked = await _post_check(holder, issued.number, issued.revocation_code)
            assert checked.status_code == 200
            form = {
                "token": _token(checked.text),
                "reason": "data_changed",
                "_csrf_token": holder.cookies["portal_csrf"],
            }
            done = await holder.post("/revoke/confirm", data=form)
            assert done.status_code == 200
        finally:
            await attacker.aclose()
            await holder.aclose()
    assert await Revocation.count() == 1


async def test_the_revocation_page_says_where_to_send_a_request_by_post_or_e_mail() -> None:
    # rule REV-5: the service desk's address and the form to download
    desk = {
        "SERVICE_DESK_NAME": "Acme service desk",
        "SERVICE_DESK_EMAIL": "desk@acme.example",
        "SERVICE_DESK_PHONE": "+31 20 555 0199",
        "SERVICE_DESK_ADDRESS": "Acme B.V.; Postbus 99; 1000 AA Amsterdam",
    }
    async with AsyncTestClient(app=limited_app("", **desk), base_url="http://testserver.local") as client:
        page = await client.get("/revoke")
        forms = {code: await client.get(f"/revoke/form/{code}.pdf") for code in ("nl", "sv", "en")}
        unknown = [await client.get(path) for path in ("/revoke/form/de.pdf", "/revoke/form/nl.txt")]
    by_post = text_of(page.text.split('id="by-post"')[1])
    for text in ("Acme service desk", "Postbus 99", "1000 AA Amsterdam", "desk@acme.example"):
        assert text in by_post
    assert "+31 20 555 0199" in by_post
    for code in ("nl", "sv", "en"):
        assert f'href="/revoke/form/{code}.pdf"' in page.text
        assert forms[code].status_code == 200
        assert forms[code].headers["content-type"] == "application/pdf"
    texts = {code: pdf_text(answer.content) for code, answer in forms.items()}
    assert "Request to revoke a certificate" in texts["en"]
    assert "Verzoek om intrekking van een certificaat" in texts["nl"]
    assert "Begäran om spärr av ett certifikat" in texts["sv"]
    token = i18n.current_locale.set("en")
    try:
        labels = [label for _value, label in reasons.choices()]
    finally:
        i18n.current_locale.reset(token)
    assert all(label in " ".join(texts["en"].split()) for label in labels)
    for text in texts.values():
        assert "Postbus 99" in text and "desk@acme.example" in text
    assert [answer.status_code for answer in unknown] == [404, 404]


async def test_the_revocation_mail_speaks_the_organisations_language_whoever_revoked() -> None:
    # rule REV-1: the subscriber is told, in its own language, with the greeting of every letter
    org = await factories.organisation(name="Zorggroep Taal B.V.", country="NL")
    await factories.member(org, role="contact_person", email="carla@zorg.example")
    issued, _org, _holder = await issue(org)
    token = i18n.current_locale.set("en")  # revoked by someone reading the portal in English
    try:
        await revoke_certificate(VENDOR, issued.certificate_id, "data_changed", "portal")
    finally:
        i18n.current_locale.reset(token)
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key.like("certificates.revoked:%")).first()
    payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    assert payload["subject"] == f"Certificaat {issued.number} is ingetrokken"
    assert payload["body"].startswith("Beste contactpersoon van Zorggroep Taal B.V.,\n\nCertificaat ")
