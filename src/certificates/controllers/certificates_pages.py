"""Issued certificates: the organisation's list and detail pages with their PEM downloads, and
the vendor admin's dashboard and certificate page with the LSP reimbursement (rule BIL-4)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter

from src.certificates import reasons
from src.certificates.services import applications, confirmation, fees, overview
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import _
from src.core.tenancy import Actor, require_vendor_admin
from src.core.web import choose_organisation_first, flash, is_partial, page, redirect
from src.identity.auth import provide_actor
from src.subscriptions.services import charges
from src.tenants.services.organisations import get_organisation

PEM = "application/x-pem-file"


def pem_response(body: str, filename: str) -> Response[Any]:
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
            return choose_organisation_first(request, actor, "/admin/certificates")
        certificates = await overview.organisation_certificates(actor, actor.organisation_id)
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
        chain = await overview.chain_of(actor, certificate["id"])
        return pem_response(certificate["pem"] + chain, f"{certificate['number']}-chain.pem")

    async def _own(self, actor: Actor, number: str) -> dict[str, Any]:
        certificate = await overview.certificate_by_number(actor, number)
        if not actor.is_vendor_admin and certificate["organisation"] != actor.organisation_id:
            raise NotFound()
        return certificate


class AdminCertificatePages(Controller):
    path = "/admin"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    @get("/certificates")
    async def certificates_list(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        days: FromQuery[str] = "",
        page_number: Annotated[str, QueryParameter(name="page")] = "",
    ) -> Response[Any]:
        wanted = overview.CertificateQuery.parse(q, status, kind, days, page_number)
        found = await overview.find_certificates(actor, wanted)
        return _list_page(request, wanted, found, "/admin/certificates")

    @get("/organisations/{organisation_id:int}/certificates")
    async def organisation_certificates(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        days: FromQuery[str] = "",
        page_number: Annotated[str, QueryParameter(name="page")] = "",
    ) -> Response[Any]:
        wanted = overview.CertificateQuery.parse(q, status, kind, days, page_number)
        require_vendor_admin(actor)
        organisation = await get_organisation(actor, organisation_id)
        found = await overview.find_certificates(
            actor, wanted, organisation_id, record_view=not is_partial(request)
        )
        return _list_page(
            request, wanted, found, f"/admin/organisations/{organisation_id}/certificates", organisation
        )

    @get("/certificates/{number:str}")
    async def admin_certificate(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], number: FromPath[str]
    ) -> Response[Any]:
        require_vendor_admin(actor)
        certificate = await overview.certificate_by_number(actor, number)
        charge = await charges.charge_of(certificate["id"])
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
        certificate = await overview.certificate_by_number(actor, number)
        form = await request.form()
        party = str(form.get("reimbursed_by") or "")
        try:
            await fees.confirm_reimbursement(actor, certificate["id"], party)
        except (InputError, Conflict) as exc:
            errors = exc.errors if isinstance(exc, InputError) else {"reimbursed_by": exc.message}
            charge = await charges.charge_of(certificate["id"])
            return page(
                request,
                "certificates/admin_certificate.html",
                {"c": certificate, "charge": charge, "errors": errors, "values": {"reimbursed_by": party}},
                status_code=422 if isinstance(exc, InputError) else 409,
            )
        flash(request, _("The reimbursement is confirmed; %(party)s pays the fee.", party=party.strip()))
        return redirect(request, f"/admin/certificates/{number}")


def _list_page(
    request: Request[Any, Any, Any],
    wanted: overview.CertificateQuery,
    found: overview.CertificatePage,
    base: str,
    organisation: dict[str, Any] | None = None,
) -> Response[Any]:
    """The certificates list of all organisations or of one: the page, or its results for htmx."""
    response = page(
        request,
        "certificates/admin_certificates.html",
        {
            "wanted": wanted,
            "found": found,
            "base": base,
            "organisation": organisation,
            "list_url": lambda **changes: _url(base, wanted.params(**changes)),
            "statuses": list(overview.status_labels().items()),
            "kinds": list(overview.kind_labels().items()),
        },
        partial="certificates/_admin_certificates_table.html",
    )
    return response


def _url(base: str, params: dict[str, str]) -> str:
    return f"{base}?{urlencode(params)}" if params else base


ROUTES: list[object] = [OrganisationCertificatePages, AdminCertificatePages]
