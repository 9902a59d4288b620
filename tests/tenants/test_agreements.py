"""Customer agreements: versioned documents and signing (rules AG-1, AG-9)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import pytest
from pypdf import PdfReader

from src.core.errors import Forbidden, InputError
from src.core.tables import AuditEntry
from src.identity.auth import build_actor
from src.tenants.services import agreement_documents, agreements
from src.tenants.tables import AgreementAcceptance, AgreementDocument, Membership
from tests import factories
from tests.signed_in import sign_in_person
from tests.subscriptions.support import bearer_for
from tests.support import text_of, vendor_today

TODAY = vendor_today()


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def admin_actor() -> Any:
    admin = await factories.vendor_admin()
    actor = await build_actor(admin["id"], None, "127.0.0.1")
    assert actor is not None
    return actor


async def publish(
    kind: str = "general_terms", text: str = "Dutch law applies.", **dates: Any
) -> dict[str, Any]:
    actor = await admin_actor()
    return await agreement_documents.publish_document(
        actor,
        kind=kind,
        titles={"nl": "Algemene voorwaarden", "sv": "Allmänna villkor", "en": "General terms"},
        texts={"nl": f"NL {text}", "sv": f"SV {text}", "en": f"EN {text}"},
        effective_on=dates.get("effective_on", TODAY - dt.timedelta(days=1)),
        accept_by=dates.get("accept_by", TODAY + dt.timedelta(days=30)),
    )


async def signer_of(org: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return await factories.member(org, role="contact_person", may_sign_agreements=True, **fields)


async def test_a_published_version_keeps_the_sha256_of_each_language():
    # rule AG-9
    doc = await publish(text="Offers are not binding until accepted in writing.")
    assert doc["version"] == 1
    for loc in ("nl", "sv", "en"):
        assert doc[f"sha256_{loc}"] == hashlib.sha256(doc[f"text_{loc}"].encode()).hexdigest()
    again = await publish(text="Changed.")
    assert again["version"] == 2
    first = await AgreementDocument.select().where(AgreementDocument.id == doc["id"]).first()
    assert first["text_en"] == "EN Offers are not binding until accepted in writing."


async def test_a_published_document_has_no_update_path(client):
    # rule AG-9: immutable once published; a change is a new version
    assert not [name for name in dir(agreements) if name.startswith(("update", "edit", "change", "delete"))]
    doc = await publish()
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    for method in ("PUT", "PATCH", "DELETE"):
        answer = await client.htmx(method, f"/admin/agreements/{doc['id']}")
        assert answer.status_code in (404, 405)
    answer = await client.post_form(f"/admin/agreements/{doc['id']}", {"text_en": "Sneaky"})
    assert answer.status_code in (404, 405)
    row = await AgreementDocument.select().where(AgreementDocument.id == doc["id"]).first()
    assert row["text_en"] == doc["text_en"]


async def test_publishing_needs_all_three_languages_and_sane_dates():
    actor = await admin_actor()
    with pytest.raises(InputError) as exc:
        await agreement_documents.publish_document(
            actor,
            kind="nonsense",
            titles={"nl": "x", "sv": "", "en": "x"},
            texts={"nl": "x", "sv": "x", "en": ""},
            effective_on="2026-05-01",
            accept_by="2026-04-01",
        )
    assert {"kind", "title_sv", "text_en"} <= set(exc.value.errors)
    assert await AgreementDocument.count() == 0


async def test_only_vendor_admins_publish():
    org = await factories.organisation()
    contact = await signer_of(org)
    actor = await build_actor(contact["person"], org["id"], "127.0.0.1")
    assert actor is not None
    with pytest.raises(Forbidden):
        await agreement_documents.publish_document(
            actor, kind="general_terms", titles={}, texts={}, effective_on=TODAY, accept_by=TODAY
        )


async def test_an_authorised_contact_person_signs_and_the_record_proves_what_was_signed(client):
    # rule AG-1, rule AG-9
    terms = await publish(text="Liability is capped at the invoiced amount.")
    processor = await publish(kind="processor_agreement", text="We process personal data on instruction.")
    org = await factories.organisation(name="Tandartsen West B.V.")
    signer = await signer_of(org, name="Sara Signer")
    headers = await bearer_for(signer["person"], org["id"])
    before = await client.get(f"/api/v1/organisations/{org['id']}/agreement", headers=headers)
    assert before.status_code == 200 and before.json()["status"] == "none"
    assert before.json()["valid"] is False
    signed = await client.post(
        f"/api/v1/organisations/{org['id']}/agreement",
        json={"document_ids": [terms["id"], processor["id"]]},
        headers=headers,
    )
    assert signed.status_code == 201, signed.text
    body = signed.json()
    assert body["signer_name"] == "Sara Signer"
    assert {(d["kind"], d["version"]) for d in body["documents"]} == {
        ("general_terms", 1),
        ("processor_agreement", 1),
    }
    assert {d["sha256"]["en"] for d in body["documents"]} == {terms["sha256_en"], processor["sha256_en"]}
    after = (await client.get(f"/api/v1/organisations/{org['id']}/agreement", headers=headers)).json()
    assert after["status"] == "current" and after["valid"] is True
    assert after["signed"]["signer_name"] == "Sara Signer"
    pdf = await client.get(body["pdf_url"], headers=headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"].startswith("application/pdf")
    assert hashlib.sha256(pdf.content).hexdigest() == body["pdf_sha256"]
    text = pdf_text(pdf.content)
    assert "Tandartsen West B.V." in text and "Sara Signer" in text
    assert terms["sha256_en"][:16] in text.replace("\n", "")
    assert await AuditEntry.exists().where(AuditEntry.action == "agreements.signed")
    assert await agreements.has_valid_agreement(await build_actor(signer["person"], org["id"], ""), org["id"])


async def test_a_new_version_asks_for_acceptance_by_its_date_and_the_old_acceptance_stays(client):
    # rule AG-9
    await publish()
    org = await factories.organisation()
    signer = await signer_of(org)
    headers = await bearer_for(signer["person"], org["id"])
    url = f"/api/v1/organisations/{org['id']}/agreement"
    assert (await client.post(url, json={}, headers=headers)).status_code == 201
    accept_by = TODAY + dt.timedelta(days=60)
    new = await publish(text="Version two.", effective_on=TODAY + dt.timedelta(days=30), accept_by=accept_by)
    status = (await client.get(url, headers=headers)).json()
    assert status["status"] == "action_needed" and status["valid"] is True
    assert status["accept_by"] == accept_by.isoformat()
    stale = await client.post(url, json={"document_ids": [new["id"] - 1]}, headers=headers)
    assert stale.status_code == 409  # the signer read a superseded version
    assert (await client.post(url, json={"document_ids": [new["id"]]}, headers=headers)).status_code == 201
    status = (await client.get(url, headers=headers)).json()
    assert status["status"] == "current" and len(status["acceptances"]) == 2
    assert (await client.post(url, json={}, headers=headers)).status_code == 409  # nothing left to accept


async def test_a_version_not_accepted_by_its_date_makes_the_agreement_overdue():
    # rule AG-1
    old = await publish(effective_on=TODAY - dt.timedelta(days=90), accept_by=TODAY - dt.timedelta(days=80))
    org = await factories.organisation()
    signer = await signer_of(org)
    actor = await build_actor(signer["person"], org["id"], "10.0.0.1")
    assert actor is not None
    row = await agreements.sign(actor, org["id"], [old["id"]])
    assert row["client_address"] == "10.0.0.1"
    await publish(
        text="v2", effective_on=TODAY - dt.timedelta(days=10), accept_by=TODAY - dt.timedelta(days=1)
    )
    status = await agreements.agreement_status(actor, org["id"])
    assert status.status == "overdue" and not status.valid
    assert not await agreements.has_valid_agreement(actor, org["id"])


async def test_only_an_authorised_contact_person_may_sign(client):
    # rule AG-1
    await publish()
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    user = await factories.member(org)
    url = f"/api/v1/organisations/{org['id']}/agreement"
    for who in (contact, user):
        answer = await client.post(url, json={}, headers=await bearer_for(who["person"], org["id"]))
        assert answer.status_code == 403
    admin = await factories.vendor_admin()
    answer = await client.post(url, json={}, headers=await bearer_for(admin["id"], None))
    assert answer.status_code == 403
    assert await AgreementAcceptance.count() == 0


async def test_another_organisations_agreement_answers_404(client):
    await publish()
    org = await factories.organisation()
    other = await factories.organisation()
    signer = await signer_of(org)
    other_signer = await signer_of(other)
    other_headers = await bearer_for(other_signer["person"], other["id"])
    acceptance = (
        await client.post(f"/api/v1/organisations/{other['id']}/agreement", json={}, headers=other_headers)
    ).json()
    headers = await bearer_for(signer["person"], org["id"])
    assert (
        await client.get(f"/api/v1/organisations/{other['id']}/agreement", headers=headers)
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/organisations/{other['id']}/agreement", json={}, headers=headers)
    ).status_code == 404
    pdf = await client.get(
        f"/api/v1/organisations/{org['id']}/agreement/acceptances/{acceptance['id']}/pdf", headers=headers
    )
    assert pdf.status_code == 404
    bad = await client.post(
        f"/api/v1/organisations/{org['id']}/agreement", json={"document_ids": "x"}, headers=headers
    )
    assert bad.status_code == 400


async def test_may_sign_agreements_is_set_through_the_users_api_for_contact_persons_only(client):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    other = await factories.member(org, role="contact_person")
    user = await factories.member(org)
    headers = await bearer_for(contact["person"], org["id"])
    base = f"/api/v1/organisations/{org['id']}/users"
    answer = await client.patch(f"{base}/{other['id']}", json={"may_sign_agreements": True}, headers=headers)
    assert answer.status_code == 200 and answer.json()["may_sign_agreements"] is True
    refused = await client.patch(f"{base}/{user['id']}", json={"may_sign_agreements": True}, headers=headers)
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"may_sign_agreements"}
    demoted = await client.patch(f"{base}/{other['id']}", json={"role": "end_user"}, headers=headers)
    assert demoted.json()["may_sign_agreements"] is False
    assert await AuditEntry.exists().where(AuditEntry.action == "tenants.may_sign_agreements_changed")
    listed = await client.get(base, headers=headers)
    assert all("may_sign_agreements" in u for u in listed.json())


async def test_a_contact_person_authorises_a_signer_and_signs_on_the_page(client):
    # rule AG-1, rule AG-9
    await publish(text="The customer's own purchase conditions never apply.")
    org = await factories.organisation(name="Fysio Zuid B.V.")
    contact = await factories.member(org, role="contact_person", name="Carla Contact")
    await sign_in_person(client, contact["person_row"])
    page = await client.get("/organisation/agreement")
    assert page.status_code == 200
    assert "Only a contact person authorised to sign" in text_of(page.text)
    await client.post_form(f"/organisation/agreement/signers/{contact['id']}", {"may_sign": "yes"})
    assert (await Membership.select().where(Membership.id == contact["id"]).first())["may_sign_agreements"]
    page = await client.get("/organisation/agreement")
    assert "Sign the customer agreement" in page.text
    doc = await AgreementDocument.select().first()
    unticked = await client.post_form("/organisation/agreement/sign", {"document_ids": str(doc["id"])})
    assert unticked.status_code == 422 and await AgreementAcceptance.count() == 0
    done = await client.post_form(
        "/organisation/agreement/sign",
        {"document_ids": str(doc["id"]), "accept": "yes"},
        follow_redirects=True,
    )
    assert "The customer agreement is signed" in text_of(done.text)
    acceptance = await AgreementAcceptance.select(AgreementAcceptance.id).first()
    pdf = await client.get(f"/organisation/agreement/acceptances/{acceptance['id']}/pdf")
    assert pdf.status_code == 200 and "Carla Contact" in pdf_text(pdf.content)
    assert pdf.headers["cache-control"] == "no-store"  # a signed-in person's file stays out of caches


async def test_a_vendor_admin_publishes_through_the_form_and_sees_acceptance_counts(client):
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    form = {
        "kind": "service_terms",
        "effective_on": TODAY.isoformat(),
        "accept_by": (TODAY + dt.timedelta(days=10)).isoformat(),
        "title_nl": "Dienstbeschrijving",
        "title_sv": "Tjänstebeskrivning",
        "title_en": "Service description",
        "text_nl": "Tekst",
        "text_sv": "Text",
        "text_en": "",
    }
    bad = await client.post_form("/admin/agreements", form)
    assert bad.status_code == 422 and "Enter the text in this language." in text_of(bad.text)
    assert await AgreementDocument.count() == 0
    good = await client.post_form("/admin/agreements", {**form, "text_en": "Text"}, follow_redirects=True)
    assert "Version 1 of Service description is published." in text_of(good.text)
    assert "0 organisations" in text_of(good.text)


async def test_a_signed_agreement_names_its_documents_in_the_readers_language(client):
    # rule AG-9: signed in Dutch, read in Swedish and English
    await publish()
    org = await factories.organisation(name="Tandartsen Noord B.V.")
    signer = await signer_of(org)
    actor = await build_actor(signer["person"], org["id"], "127.0.0.1")
    assert actor is not None
    from src.core.i18n import current_locale

    token = current_locale.set("nl")
    try:
        await agreements.sign(
            actor, org["id"], [d["id"] for d in (await agreement_documents.latest_documents())]
        )
    finally:
        current_locale.reset(token)
    await sign_in_person(client, signer["person_row"])
    for locale, title, other in (
        ("sv", "Allmänna villkor", "Algemene voorwaarden"),
        ("en", "General terms", "Algemene voorwaarden"),
    ):
        await client.post_form("/language", {"locale": locale, "next": "/"})
        page = text_of((await client.get("/organisation/agreement")).text)
        assert f"{title} v1" in page and other not in page
