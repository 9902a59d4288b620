"""Pages and API of the certificate workflow: applying, reviewing, the organisation's
certificates with their downloads, reimbursement, the vendor admin's dashboard.

Revocation pages and API, the public revocation page, CRL and OCSP are in the PKI modules."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from src.certificates import applications, confirmation, dashboard, fees, manual, reasons, revocation
from src.certificates import workflow_schemas as schemas
from src.certificates.applications import ApplicationInput
from src.certificates.tables import Certificate
from src.core import outbox
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, TenantScope, require_vendor_admin
from src.core.web import flash, page, redirect
from src.identity.auth import provide_actor

PEM = "application/x-pem-file"
MAX_CSR_UPLOAD = 64 * 1024


def _home(request: Request[Any, Any, Any], actor: Actor) -> Response[Any]:
    return redirect(request, "/admin/certificates" if actor.is_vendor_admin else "/choose-organisation")


async def _form_values(request: Request[Any, Any, Any]) -> tuple[dict[str, str], str | bytes]:
    """The apply form's fields, and the CSR: the uploaded file when one is given, else the text."""
    form = await request.form()
    values = {
        key: (form.get(key) or "").strip() if isinstance(form.get(key), str) else ""
        for key in ("kind", "csr_pem", "dns_names", "holder_user_id", "lsp_connection", "renewal_of_number")
    }
    upload = form.get("csr_file")
    csr: str | bytes = values["csr_pem"]
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(MAX_CSR_UPLOAD + 1)
        if len(content) > MAX_CSR_UPLOAD:
            raise InputError({"csr_pem": _("This file is too large to be a certificate signing request.")})
        if content.strip():
            csr = content
    return values, csr


def _input(values: dict[str, str], csr: str | bytes) -> ApplicationInput:
    holder = values.get("holder_user_id") or ""
    return ApplicationInput(
        kind=values.get("kind") or "server",
        csr_pem=csr,
        dns_names=values.get("dns_names") or "",
        holder_membership_id=int(holder) if holder.isdigit() else None,
        lsp_connection=values.get("lsp_connection") in ("on", "true", "1", "yes"),
        renewal_of_number=values.get("renewal_of_number") or None,
    )


def _pem_response(body: str, filename: str) -> Response[Any]:
    return Response(
        content=body,
        media_type=PEM,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


class OrganisationCertificatePages(Controller):
    path = "/organisation/certificates"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    @get("/")
    async def list_page(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return _home(request, actor)
        certificates = await dashboard.organisation_certificates(actor, actor.organisation_id)
        pending = await applications.list_applications(actor, actor.organisation_id)
        return page(
            request,
            "certificates/org_certificates.html",
            {"certificates": certificates, "applications": pending[:50]},
            partial="certificates/_org_certificates_table.html",
        )

    @get("/apply")
    async def apply_form(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        renew: Annotated[str, QueryParameter(description="Number of the certificate to renew")] = "",
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return _home(request, actor)
        TenantScope(actor, actor.organisation_id).require_contact_person()
        values: dict[str, str] = {"kind": "server"}
        if renew:
            old = await dashboard.certificate_by_number(actor, renew)
            if old["organisation"] != actor.organisation_id:
                raise NotFound()
            # rule CRT-2: renewing pre-fills the names, the holder and the LSP flag; a new CSR is needed
            values = {
                "kind": old["kind"],
                "dns_names": "\n".join(old["dns_names"]),
                "holder_user_id": str(old["holder"] or ""),
                "lsp_connection": "on" if old["lsp_connection"] else "",
                "renewal_of_number": old["number"],
            }
        return await self._form(request, actor, values, {})

    @post("/apply")
    async def apply(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        if actor.organisation_id is None:
            return _home(request, actor)
        values: dict[str, str] = {}
        try:
            values, csr = await _form_values(request)
            row = await applications.apply(actor, actor.organisation_id, _input(values, csr))
        except InputError as exc:
            return await self._form(request, actor, values, exc.errors, status_code=422)
        flash(
            request,
            _(
                "Your application was submitted (number %(id)s). We review it and let you know.",
                id=row["id"],
            ),
        )
        return redirect(request, "/organisation/certificates")

    @post("/apply/check")
    async def check(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        """htmx: what the CSR holds, or what is wrong with it, while the form is filled in."""
        if actor.organisation_id is None:
            return _home(request, actor)
        TenantScope(actor, actor.organisation_id).require_contact_person()
        errors: dict[str, str] = {}
        checked = None
        values: dict[str, str] = {}
        try:
            values, csr = await _form_values(request)
            if (isinstance(csr, str) and csr.strip()) or isinstance(csr, bytes):
                checked = applications.read_csr(csr)
                if (values.get("kind") or "server") == "server" and values.get("dns_names"):
                    applications.check_names(applications.split_names(values["dns_names"]), checked)
        except InputError as exc:
            errors = exc.errors
        return page(
            request,
            "certificates/_csr_check.html",
            {"checked": checked, "errors": errors, "values": values},
            status_code=200,
        )

    async def _form(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, str],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Response[Any]:
        assert actor.organisation_id is not None
        holders = await applications.holder_choices(actor, actor.organisation_id)
        return page(
            request,
            "certificates/org_apply.html",
            {"values": values, "errors": errors, "holders": holders},
            status_code=status_code,
        )

    @get("/{number:str}")
    async def detail(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], number: FromPath[str]
    ) -> Response[Any]:
        if actor.organisation_id is None and not actor.is_vendor_admin:
            return _home(request, actor)
        if number.endswith(".pem"):
            certificate = await self._own(actor, number[: -len(".pem")])
            return _pem_response(certificate["pem"], f"{certificate['number']}.pem")
        certificate = await self._own(actor, number)
        letter = await confirmation.confirmation_status(certificate["id"])
        return page(
            request,
            "certificates/org_certificate.html",
            {"c": certificate, "letter": letter, "reason_label": reasons.label},
        )

    @get("/{number:str}/chain.pem")
    async def chain(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], number: FromPath[str]
    ) -> Response[Any]:
        certificate = await self._own(actor, number)
        chain = await dashboard.chain_of(certificate["id"])
        return _pem_response(certificate["pem"] + chain, f"{certificate['number']}-chain.pem")

    async def _own(self, actor: Actor, number: str) -> dict[str, Any]:
        certificate = await dashboard.certificate_by_number(actor, number)
        if not actor.is_vendor_admin and certificate["organisation"] != actor.organisation_id:
            raise NotFound()
        return certificate


class AdminCertificatePages(Controller):
    path = "/admin"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    @get("/certificate-applications")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        status: Annotated[str, QueryParameter(description="pending, approved or rejected")] = "",
    ) -> Response[Any]:
        rows = await applications.review_queue(actor, status=status)
        return page(
            request,
            "certificates/admin_applications.html",
            {"applications": rows, "status": status},
            partial="certificates/_admin_applications_table.html",
        )

    @get("/certificate-applications/{application_id:int}")
    async def application(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], application_id: FromPath[int]
    ) -> Response[Any]:
        row = await applications.application_for_review(actor, application_id)
        return page(request, "certificates/admin_application.html", {"a": row, "errors": {}, "values": {}})

    @post("/certificate-applications/{application_id:int}/approve")
    async def approve(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], application_id: FromPath[int]
    ) -> Response[Any]:
        try:
            approval = await applications.approve(actor, application_id)
        except (Conflict, InputError) as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"/admin/certificate-applications/{application_id}")
        outbox.kick()
        # The revocation code is not shown here: it goes to the subscriber in the letter (CRT-4).
        flash(
            request,
            _(
                "Certificate %(number)s was issued. The confirmation letter with the revocation code goes "
                "to the organisation's contact persons.",
                number=approval.certificate.number,
            ),
        )
        return redirect(request, f"/admin/certificate-applications/{application_id}")

    @post("/certificate-applications/{application_id:int}/reject")
    async def reject(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], application_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        reason = str(form.get("reason") or "")
        try:
            await applications.reject(actor, application_id, reason)
        except InputError as exc:
            row = await applications.application_for_review(actor, application_id)
            return page(
                request,
                "certificates/admin_application.html",
                {"a": row, "errors": exc.errors, "values": {"reason": reason}},
                status_code=422,
            )
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"/admin/certificate-applications/{application_id}")
        flash(request, _("The application was rejected; no fee is charged."))
        return redirect(request, "/admin/certificate-applications")

    @get("/certificates")
    async def certificates_dashboard(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]
    ) -> Response[Any]:
        data = await dashboard.admin_dashboard(actor)
        return page(
            request,
            "certificates/admin_dashboard.html",
            {**data, "reason_label": reasons.label},
        )

    @get("/certificates/{number:str}")
    async def admin_certificate(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], number: FromPath[str]
    ) -> Response[Any]:
        require_vendor_admin(actor)
        certificate = await dashboard.certificate_by_number(actor, number)
        charge = await fees.charge_of(certificate["id"])
        return page(
            request,
            "certificates/admin_certificate.html",
            {
                "c": certificate,
                "charge": charge,
                "errors": {},
                "values": {"reimbursed_by": fees.DEFAULT_REIMBURSER},
            },
        )

    @post("/certificates/{number:str}/reimbursement")
    async def reimbursement(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], number: FromPath[str]
    ) -> Response[Any]:
        require_vendor_admin(actor)
        certificate = await dashboard.certificate_by_number(actor, number)
        form = await request.form()
        party = str(form.get("reimbursed_by") or "")
        try:
            await fees.confirm_reimbursement(actor, certificate["id"], party)
        except (InputError, Conflict) as exc:
            errors = exc.errors if isinstance(exc, InputError) else {"reimbursed_by": exc.message}
            charge = await fees.charge_of(certificate["id"])
            return page(
                request,
                "certificates/admin_certificate.html",
                {"c": certificate, "charge": charge, "errors": errors, "values": {"reimbursed_by": party}},
                status_code=422 if isinstance(exc, InputError) else 409,
            )
        flash(request, _("The reimbursement is confirmed; %(party)s pays the fee.", party=party.strip()))
        return redirect(request, f"/admin/certificates/{number}")


class ManualRevocationPages(Controller):
    """Revocation requests received by post or e-mail (rule REV-5), for vendor admins."""

    path = "/admin/revocation-requests"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    @get("/")
    async def list_page(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        status: Annotated[str, QueryParameter(description="awaiting, executed or refused")] = "",
    ) -> Response[Any]:
        rows = await manual.list_requests(actor, status)
        return page(request, "certificates/admin_manual_requests.html", {"requests": rows, "status": status})

    @get("/new")
    async def new_form(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        require_vendor_admin(actor)
        return self._form(request, {"received_via": "email"}, {})

    @post("/new", request_max_body_size=2 * manual.MAX_EVIDENCE_BYTES + 1024 * 1024)
    async def record(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        require_vendor_admin(actor)
        form = await request.form()
        fields = ("certificate_number", "received_via", "received_on", "requester_name", "reason", "notes")
        values = {
            k: str(form.get(k) or "") if not isinstance(form.get(k), UploadFile) else "" for k in fields
        }
        uploads: dict[str, manual.Upload | None] = {}
        for kind in manual.EVIDENCE_KINDS:
            upload = form.get(kind)
            if isinstance(upload, UploadFile) and upload.filename:
                content = await upload.read(manual.MAX_EVIDENCE_BYTES + 1)
                uploads[kind] = manual.Upload(filename=upload.filename, content=content)
            else:
                uploads[kind] = None
        try:
            row = await manual.record_request(
                actor,
                certificate_number=values["certificate_number"],
                received_via=values["received_via"],
                received_on=values["received_on"],
                requester_name=values["requester_name"],
                reason=values["reason"],
                notes=values["notes"],
                signed_form=uploads["signed_form"],
                identity_document=uploads["identity_document"],
            )
        except InputError as exc:
            return self._form(request, values, exc.errors, status_code=422)
        flash(request, _("The request was recorded. Check the scans, confirm the checklist, then execute."))
        return redirect(request, f"/admin/revocation-requests/{row['id']}")

    def _form(
        self,
        request: Request[Any, Any, Any],
        values: dict[str, str],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Response[Any]:
        return page(
            request,
            "certificates/admin_manual_request_new.html",
            {"values": values, "errors": errors, "reasons": reasons.choices()},
            status_code=status_code,
        )

    @get("/{request_id:int}")
    async def detail(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], request_id: FromPath[int]
    ) -> Response[Any]:
        return await self._detail(request, actor, request_id, {})

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        request_id: int,
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Response[Any]:
        row = await manual.get_request(actor, request_id)
        return page(
            request,
            "certificates/admin_manual_request.html",
            {
                "r": row,
                "errors": errors,
                "checklist": manual.checklist_labels(),
                "evidence_labels": manual.evidence_labels(),
                "reason_label": reasons.label,
            },
            status_code=status_code,
        )

    @post("/{request_id:int}/checklist")
    async def checklist(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], request_id: FromPath[int]
    ) -> Response[Any]:
        require_vendor_admin(actor)
        form = await request.form()
        ticked = {item: form.get(item) in ("on", "true", "1") for item in manual.CHECKLIST}
        try:
            await manual.confirm_checklist(actor, request_id, ticked)
        except InputError as exc:
            return await self._detail(request, actor, request_id, exc.errors, status_code=422)
        except Conflict as exc:
            flash(request, exc.message, "error")
        return redirect(request, f"/admin/revocation-requests/{request_id}")

    @post("/{request_id:int}/execute")
    async def execute(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], request_id: FromPath[int]
    ) -> Response[Any]:
        try:
            result = await manual.execute(actor, request_id)
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"/admin/revocation-requests/{request_id}")
        await revocation.published(result["revocation"]["issuer_id"])
        flash(
            request,
            _(
                "Certificate %(number)s was revoked; the subscriber is notified.",
                number=result["revocation"]["number"],
            ),
        )
        return redirect(request, f"/admin/revocation-requests/{request_id}")

    @post("/{request_id:int}/refuse")
    async def refuse(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], request_id: FromPath[int]
    ) -> Response[Any]:
        require_vendor_admin(actor)
        form = await request.form()
        try:
            await manual.refuse(actor, request_id, str(form.get("note") or ""))
        except InputError as exc:
            return await self._detail(request, actor, request_id, exc.errors, status_code=422)
        except Conflict as exc:
            flash(request, exc.message, "error")
        return redirect(request, f"/admin/revocation-requests/{request_id}")

    @get("/{request_id:int}/evidence/{file_id:int}")
    async def evidence(
        self, actor: NamedDependency[Actor], request_id: FromPath[int], file_id: FromPath[int]
    ) -> Response[Any]:
        row, content = await manual.evidence_file(actor, request_id, file_id)
        return Response(
            content=content,
            media_type=row["content_type"],
            headers={
                "Content-Disposition": f'attachment; filename="{row["filename"]}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )


# --- API ------------------------------------------------------------------------------------------


async def _certificate_number_of_application(application_id: int) -> str | None:
    row = (
        await Certificate.select(Certificate.number).where(Certificate.application == application_id).first()
    )
    return row["number"] if row else None


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
        approval = await applications.approve(actor, application_id)
        outbox.kick()
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
        row = await applications.reject(actor, application_id, data.reason)
        return schemas.Application.from_row(row)

    @get("/organisations/{organisation_id:int}/certificates", summary="List the organisation's certificates")
    async def list_certificates(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int]
    ) -> list[schemas.Certificate]:
        rows = await dashboard.organisation_certificates(actor, organisation_id)
        return [schemas.Certificate.from_row(r) for r in rows]

    @get("/certificates/{number:str}", summary="Read a certificate, with its PEM")
    async def get_certificate(
        self, actor: NamedDependency[Actor], number: FromPath[str]
    ) -> schemas.Certificate:
        row = await dashboard.certificate_by_number(actor, number)
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
        row = await dashboard.certificate_by_number(actor, number)
        await fees.confirm_reimbursement(actor, row["id"], data.reimbursed_by)
        return schemas.Certificate.from_row(await dashboard.certificate_by_number(actor, number))


ROUTES: list[object] = [
    OrganisationCertificatePages,
    AdminCertificatePages,
    ManualRevocationPages,
    CertificateApplicationsApi,
]
