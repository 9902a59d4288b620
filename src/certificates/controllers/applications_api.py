"""JSON API of the certificate workflow: applying, listing, approving and rejecting
applications, reading the organisation's certificates, confirming a reimbursement."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from src.certificates import schemas
from src.certificates.services import applications, fees, overview, review
from src.certificates.services.applications import ApplicationInput
from src.core.tenancy import Actor, require_vendor_admin
from src.identity.auth import provide_actor


class CertificateApplicationsApi(Controller):
    path = "/api/v1"
    tags = ["certificates"]
    dependencies = {"actor": Provide(provide_actor)}

    @post(
        "/organisations/{organisation_id:int}/certificate-applications",
        status_code=HTTP_201_CREATED,
        summary="Apply for a certificate",
        description="Contact persons of the organisation. Bad input (not one PEM CSR, an invalid "
        "signature, a weak key, names not in the CSR, a wildcard, a name on a pending application) "
        "answers 422 naming the field; nothing is stored.",
    )
    async def create(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        data: JSONBody[schemas.NewApplication],
    ) -> schemas.Application:
        row = await applications.apply(
            actor,
            organisation_id,
            ApplicationInput(
                kind=data.kind,
                csr_pem=data.csr_pem,
                dns_names=data.dns_names,
                holder_membership_id=data.holder_user_id,
                lsp_connection=data.lsp_connection,
                renewal_of_number=data.renewal_of_number,
            ),
        )
        return schemas.Application.from_row(row)

    @get(
        "/organisations/{organisation_id:int}/certificate-applications",
        summary="List the organisation's certificate applications",
    )
    async def list_applications(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> list[schemas.Application]:
        rows = await applications.list_applications(actor, organisation_id)
        return [schemas.Application.from_row(r) for r in rows]

    @post(
        "/certificate-applications/{application_id:int}/approve",
        status_code=200,
        summary="Approve an application (vendor admins)",
        description="Issues the certificate, charges the fee (EUR 450, chargeable 14 days later) and "
        "queues the confirmation letter. The answer carries the revocation code this once.",
    )
    async def approve(
        self, actor: NamedDependency[Actor], application_id: FromPath[int]
    ) -> schemas.ApprovalAnswer:
        approval = await review.approve(actor, application_id)
        issued = approval.certificate
        return schemas.ApprovalAnswer(
            application=schemas.Application.from_row(approval.application, issued.number),
            certificate=schemas.IssuedCertificate(
                number=issued.number,
                serial_hex=issued.serial_hex,
                not_before=issued.not_before,
                not_after=issued.not_after,
                pem=issued.pem,
                chain_pem=issued.chain_pem,
            ),
            revocation_code=issued.revocation_code,
        )

    @post(
        "/certificate-applications/{application_id:int}/reject",
        status_code=200,
        summary="Reject an application (vendor admins)",
        description="No certificate and no charge (rule BIL-3).",
    )
    async def reject(
        self, actor: NamedDependency[Actor], application_id: FromPath[int], data: JSONBody[schemas.Rejection]
    ) -> schemas.Application:
        row = await review.reject(actor, application_id, data.reason)
        return schemas.Application.from_row(row)

    @get("/organisations/{organisation_id:int}/certificates", summary="List the organisation's certificates")
    async def list_certificates(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> list[schemas.Certificate]:
        rows = await overview.organisation_certificates(actor, organisation_id)
        return [schemas.Certificate.from_row(r) for r in rows]

    @get("/certificates/{number:str}", summary="Read a certificate, with its PEM")
    async def get_certificate(
        self, actor: NamedDependency[Actor], number: FromPath[str]
    ) -> schemas.Certificate:
        row = await overview.certificate_by_number(actor, number)
        return schemas.Certificate.from_row(row, with_pem=True)

    @post(
        "/certificates/{number:str}/reimbursement",
        status_code=200,
        summary="Confirm the reimbursement of an LSP certificate (vendor admins)",
        description="The pending fee is then paid by the reimbursing party (rule BIL-4); one "
        "reimbursed certificate per connection (organisation and first DNS name).",
    )
    async def reimbursement(
        self, actor: NamedDependency[Actor], number: FromPath[str], data: JSONBody[schemas.Reimbursement]
    ) -> schemas.Certificate:
        require_vendor_admin(actor)
        row = await overview.certificate_by_number(actor, number)
        await fees.confirm_reimbursement(actor, row["id"], data.reimbursed_by)
        return schemas.Certificate.from_row(await overview.certificate_by_number(actor, number))


ROUTES: list[object] = [CertificateApplicationsApi]
