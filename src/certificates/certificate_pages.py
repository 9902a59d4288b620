"""Issued certificates: the organisation's list and detail pages with their PEM downloads, and
the vendor admin's dashboard and certificate page with the LSP reimbursement (rule BIL-4)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from src.certificates import applications, confirmation, dashboard, fees, reasons
from src.certificates.page_helpers import pem_response
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, require_vendor_admin
from src.core.web import choose_organisation_first, flash, page, redirect
from src.identity.auth import provide_actor


class OrganisationCertificatePages(Controller):
    path = "/organisation/certificates"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    @get("/")
    async def list_page(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor, "/admin/certificates")
        certificates = await dashboard.organisation_certificates(actor, actor.organisation_id)
        pending = await applications.list_applications(actor, actor.organisation_id)
        return page(
            request,
            "certificates/org_certificates.html",
            {"certificates": certificates, "applications": pending[:50]},
            partial="certificates/_org_certificates_table.html",
        )

    @get("/{number:str}")
    async def detail(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], number: FromPath[str]
    ) -> Response[Any]:
        if actor.organisation_id is None and not actor.is_vendor_admin:
            return choose_organisation_first(request, actor, "/admin/certificates")
        if number.endswith(".pem"):
            certificate = await self._own(actor, number[: -len(".pem")])
            return pem_response(certificate["pem"], f"{certificate['number']}.pem")
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
        return pem_response(certificate["pem"] + chain, f"{certificate['number']}-chain.pem")

    async def _own(self, actor: Actor, number: str) -> dict[str, Any]:
        certificate = await dashboard.certificate_by_number(actor, number)
        if not actor.is_vendor_admin and certificate["organisation"] != actor.organisation_id:
            raise NotFound()
        return certificate


class AdminCertificatePages(Controller):
    path = "/admin"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

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


ROUTES: list[object] = [OrganisationCertificatePages, AdminCertificatePages]
