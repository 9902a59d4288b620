"""A vendor admin reviews applications (rule CRT-3): approve issues the certificate and charges
the fee (BIL-1, BIL-2); reject stores the reason and charges nothing (BIL-3)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from cryptography import x509

from src.certificates.services import applications, review
from src.certificates.services.applications import ApplicationInput
from src.certificates.services.issuance import verify_code
from src.certificates.tables import Certificate, CertificateApplication
from src.core.errors import Conflict, Forbidden, InputError
from src.core.tables import AuditEntry, OutboxMessage
from src.subscriptions.services import charges
from src.subscriptions.tables import Charge
from tests import factories
from tests.certificates.workflow_support import admin_actor, csr_pem, org_with_contact


async def pending_application(**org_fields):
    org, contact, actor = await org_with_contact(**org_fields)
    row = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(["portal.zorg.example"]),
            dns_names=["portal.zorg.example"],
            holder_membership_id=contact["id"],
            lsp_connection=True,
        ),
    )
    return org, contact, actor, row


async def test_approval_issues_the_certificate_and_charges_450_euro_after_14_days():
    # rule CRT-3, CRT-1, BIL-1, BIL-2
    org, _contact, _actor, application = await pending_application()
    admin = await admin_actor()
    approval = await review.approve(admin, application["id"])
    issued = approval.certificate
    assert approval.application["status"] == "approved"
    assert approval.application["reviewed_by_name"] == "Vendor Admin"
    certificate = x509.load_pem_x509_certificate(issued.pem.encode())
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["portal.zorg.example"]
    assert (issued.not_after - issued.not_before) >= dt.timedelta(days=3 * 365)
    row = await Certificate.select().where(Certificate.id == issued.certificate_id).first()
    assert row["organisation"] == org["id"] and row["application"] == application["id"]
    # rule CRT-4: only a hash of the revocation code is kept
    assert issued.revocation_code not in row["revocation_code_hash"]
    assert verify_code(row["revocation_code_hash"], issued.revocation_code)
    charge = await Charge.select().where(Charge.source_type == "certificate").first()
    assert charge["source_id"] == issued.certificate_id
    assert charge["amount_cents"] == 45000 and charge["currency"] == "EUR"
    assert charge["organisation"] == org["id"] and charge["payer_kind"] == "organisation"
    assert charge["status"] == "pending"
    issued_local = issued.not_before.astimezone(dt.timezone(dt.timedelta(hours=1))).date()
    assert charge["chargeable_on"] in (
        issued_local + dt.timedelta(days=14),
        issued.not_before.date() + dt.timedelta(days=14),
    )
    actions = {r["action"] for r in await AuditEntry.select(AuditEntry.action)}
    assert {
        "certificates.application_approved",
        "certificates.issued",
        "certificates.charge_created",
    } <= actions
    # the confirmation letter is queued in the same transaction, its code sealed
    outbox_row = (
        await OutboxMessage.select()
        .where(OutboxMessage.actor_name == "send_certificate_confirmation")
        .first()
    )
    assert outbox_row is not None
    assert issued.revocation_code not in str(outbox_row["payload"])


def test_the_fee_date_is_the_organisations_local_date_plus_14_days():
    # rule BIL-2: 23:30 UTC on 31 March is already 1 April in Amsterdam
    issued = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    assert charges.chargeable_on(issued, "NL") == dt.date(2026, 4, 15)
    assert charges.chargeable_on(issued, "SE") == dt.date(2026, 4, 15)
    assert charges.chargeable_on(dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC), "NL") == dt.date(2026, 4, 14)


async def test_rejection_keeps_the_reason_and_charges_nothing():
    # rule BIL-3, CRT-3
    _org, _contact, _actor, application = await pending_application()
    admin = await admin_actor()
    with pytest.raises(InputError) as exc:
        await review.reject(admin, application["id"], "  ")
    assert "reason" in exc.value.errors
    row = await review.reject(admin, application["id"], "The KvK number does not match the domain owner.")
    assert row["status"] == "rejected"
    assert row["rejection_reason"] == "The KvK number does not match the domain owner."
    assert not await Charge.exists()
    assert not await Certificate.exists()
    with pytest.raises(Conflict):
        await review.approve(admin, application["id"])
    assert not await Certificate.exists()


async def test_a_reviewed_application_cannot_be_reviewed_again():
    _org, _contact, _actor, application = await pending_application()
    admin = await admin_actor()
    await review.approve(admin, application["id"])
    with pytest.raises(Conflict):
        await review.approve(admin, application["id"])
    with pytest.raises(Conflict):
        await review.reject(admin, application["id"], "late")
    assert await Certificate.count() == 1
    assert await Charge.count() == 1


async def test_two_approvals_at_once_issue_one_certificate():
    _org, _contact, _actor, application = await pending_application()
    admin = await admin_actor()
    results = await asyncio.gather(
        review.approve(admin, application["id"]),
        review.approve(admin, application["id"]),
        return_exceptions=True,
    )
    assert sum(1 for r in results if isinstance(r, Conflict)) == 1, results
    assert await Certificate.count() == 1
    assert await Charge.count() == 1


async def test_only_vendor_admins_review():
    _org, _contact, actor, application = await pending_application()
    with pytest.raises(Forbidden):
        await review.approve(actor, application["id"])
    with pytest.raises(Forbidden):
        await review.reject(actor, application["id"], "no")
    assert (await CertificateApplication.select().first())["status"] == "pending"


async def test_a_personal_certificate_is_issued_without_a_fee():
    # rule BIL-1 names the server certificate's fee; personal certificates carry none here
    org, _contact, actor = await org_with_contact()
    user = await factories.member(org, name="Uma User", email="uma@zorg.example")
    application = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            kind="personal", csr_pem=csr_pem([], cn="Uma", kind="p256"), holder_membership_id=user["id"]
        ),
    )
    approval = await review.approve(await admin_actor(), application["id"])
    assert approval.certificate.number.startswith("P-")
    assert not await Charge.exists()


async def test_an_application_whose_holder_left_cannot_be_approved():
    _org, contact, _actor, application = await pending_application()
    from src.tenants.tables import Membership

    await Membership.update({Membership.active: False}).where(Membership.id == contact["id"])
    with pytest.raises(Conflict):
        await review.approve(await admin_actor(), application["id"])
    assert not await Certificate.exists()
    assert (await CertificateApplication.select().first())["status"] == "pending"


async def test_the_queue_shows_pending_applications_first():
    admin = await admin_actor()
    _o1, _c1, _a1, first = await pending_application()
    _o2, _c2, _a2, second = await pending_application()
    await review.reject(admin, first["id"], "no")
    queue = await review.review_queue(admin)
    assert [r["id"] for r in queue] == [second["id"], first["id"]]
