"""What the vendor admins see of certificates: pending applications, certificates expiring within
60 days, revocations by reason and month (on the overview)."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar import Litestar

from src.certificates.services import applications, overview, review
from src.certificates.services.applications import ApplicationInput
from src.certificates.services.revocation import revoke_certificate
from src.certificates.tables import Certificate, Revocation
from src.core import db
from tests import factories
from tests.certificates.workflow_support import (
    admin_actor,
    app_with_workflow_routes,
    csr_pem,
    org_with_contact,
)
from tests.signed_in import sign_in_person
from tests.support import text_of


@pytest.fixture
def app() -> Litestar:
    return app_with_workflow_routes()


async def test_the_dashboard_shows_what_needs_attention(client):
    # rule CRT-3 (pending), CRT-2 (expiring), REV-3 (reasons)
    org, contact, actor = await org_with_contact(name="Dashboard Zorg B.V.")
    admin = await admin_actor()

    async def apply(name):
        return await applications.apply(
            actor,
            org["id"],
            ApplicationInput(
                csr_pem=csr_pem([name], fresh_key=True), dns_names=[name], holder_membership_id=contact["id"]
            ),
        )

    await apply("pending.zorg.example")
    expiring = (await review.approve(admin, (await apply("old.zorg.example"))["id"])).certificate
    await Certificate.update({Certificate.not_after: dt.datetime.now(dt.UTC) + dt.timedelta(days=20)}).where(
        Certificate.id == expiring.certificate_id
    )
    revoked_a = (await review.approve(admin, (await apply("a.zorg.example"))["id"])).certificate
    revoked_b = (await review.approve(admin, (await apply("b.zorg.example"))["id"])).certificate
    async with db.transaction():
        await revoke_certificate(admin, revoked_a.certificate_id, "organisation_ceased", "portal")
        await revoke_certificate(admin, revoked_b.certificate_id, "organisation_ceased", "portal")
    # one of them last year in January
    await Revocation.update({Revocation.revoked_at: dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)}).where(
        Revocation.certificate == revoked_b.certificate_id
    )
    assert await review.review_queue(admin, status="pending") != []
    assert await overview.expiring_count(admin) == 1
    wanted = overview.CertificateQuery.parse(status="expiring")
    expiring_page = await overview.find_certificates(admin, wanted)
    assert [c["number"] for c in expiring_page.items] == [expiring.number]
    statistics = await overview.revocation_statistics(admin)
    this_month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    assert statistics["revocation_counts"] == {
        f"{this_month}|organisation_ceased": 1,
        "2025-01|organisation_ceased": 1,
    }

    await sign_in_person(client, await factories.vendor_admin())
    page = await client.get("/admin")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "2025-01" in text and "The organisation ceases to exist" in text
    listed = await client.get("/admin/certificates", params={"status": "expiring"})
    assert expiring.number in text_of(listed.text) and "Dashboard Zorg B.V." in text_of(listed.text)
    queue = await client.get("/admin/certificate-applications", params={"status": "pending"})
    assert "pending.zorg.example" in text_of(queue.text)
    assert 'href="/admin/certificates"' in page.text  # nav link
