"""Customer agreement pages and API (rules AG-1, AG-9): vendor admins publish versioned
documents (/admin/agreements); an organisation reads, signs and downloads its signed copy
(/organisation/agreement); contact persons decide who may sign."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Template
from litestar.status_codes import HTTP_201_CREATED

from src.core.errors import Conflict, Forbidden, InputError, NotFound
from src.core.i18n import LOCALES, _
from src.core.tenancy import Actor
from src.core.web import flash, page, redirect
from src.identity.auth import provide_actor
from src.identity.guards import provide_contact_person, provide_vendor_admin
from src.tenants.catalogue import offer
from src.tenants.schemas import Acceptance, Agreement, AgreementDocumentOut, SignAgreement
from src.tenants.services import (
    agreement_documents,
    agreements,
    compliance,
    entitlements,
    organisations,
    service_doors,
    user_changes,
)

Form = URLEncodedBody[dict[str, str]]


def _agreement_out(status: agreements.AgreementStatus) -> Agreement:
    return Agreement(
        status=status.status,
        valid=status.valid,
        accept_by=status.accept_by,
        documents=[AgreementDocumentOut.from_row(d) for d in status.documents],
        signed=Acceptance.from_row(status.latest) if status.latest else None,
        acceptances=[Acceptance.from_row(a) for a in status.acceptances],
    )


def _pdf_response(pdf: bytes, acceptance_id: int) -> Response[bytes]:
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="customer-agreement-{acceptance_id}.pdf"'},
    )


class AgreementApi(Controller):
    path = "/api/v1/organisations/{organisation_id:int}/agreement"
    tags = ["agreement"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/", summary="The organisation's customer agreement", description="Status, versions, signer, time.")
    async def get_agreement(self, actor: NamedDependency[Actor], organisation_id: FromPath[int]) -> Agreement:
        return _agreement_out(await agreements.agreement_status(actor, organisation_id))

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Sign the customer agreement",
        description="Only a contact person authorised to sign (`may_sign_agreements`) may sign (403 "
        "otherwise). 409 when nothing is left to accept or the documents changed since they were read.",
    )
    async def sign(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], data: JSONBody[SignAgreement]
    ) -> Acceptance:
        row = await agreements.sign(actor, organisation_id, data.document_ids)
        return Acceptance.from_row(row)

    @get(
        "/acceptances/{acceptance_id:int}/pdf",
        summary="The PDF copy of a signed agreement",
        media_type="application/pdf",
    )
    async def pdf(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], acceptance_id: FromPath[int]
    ) -> Response[bytes]:
        return _pdf_response(
            await agreements.acceptance_pdf(actor, organisation_id, acceptance_id), acceptance_id
        )


class AgreementPages(Controller):
    path = "/organisation/agreement"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    async def _page(
        self, request: Request[Any, Any, Any], actor: Actor, error: str = "", status_code: int = 200
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return redirect(request, "/admin/agreements" if actor.is_vendor_admin else "/choose-organisation")
        organisation = await organisations.get_organisation(actor, actor.organisation_id)
        status = await agreements.agreement_status(actor, actor.organisation_id)
        return page(
            request,
            "tenants/agreement.html",
            {
                "organisation": organisation,
                "agreement": status,
                "may_sign": await agreements.may_sign(actor, actor.organisation_id),
                "signers": (
                    await agreements.signers(actor, actor.organisation_id)
                    if actor.is_contact_person
                    else None
                ),
                "kind_label": agreement_documents.kind_label,
                "error": error,
            },
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        return await self._page(request, actor)

    @post("/sign")
    async def sign(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return redirect(request, "/")
        if data.get("accept") not in ("yes", "on", "1", "true"):
            return await self._page(
                request,
                actor,
                _("Tick the box to confirm you accept the documents for the organisation."),
                422,
            )
        try:
            ids = [int(x) for x in (data.get("document_ids") or "").split(",") if x.strip()]
        except ValueError:
            ids = []
        try:
            await agreements.sign(actor, actor.organisation_id, ids)
        except (Conflict, Forbidden) as exc:
            return await self._page(request, actor, exc.message, exc.status_code)
        flash(request, _("The customer agreement is signed. You can download the signed copy below."))
        return redirect(request, "/organisation/agreement")

    @get("/acceptances/{acceptance_id:int}/pdf")
    async def pdf(self, actor: NamedDependency[Actor], acceptance_id: FromPath[int]) -> Response[bytes]:
        if actor.organisation_id is None:
            raise Forbidden()
        return _pdf_response(
            await agreements.acceptance_pdf(actor, actor.organisation_id, acceptance_id), acceptance_id
        )

    @post("/signers/{membership_id:int}", dependencies={"actor": Provide(provide_contact_person)})
    async def set_signer(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        membership_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return redirect(request, "/")
        value = data.get("may_sign") in ("yes", "on", "1", "true")
        try:
            row = await user_changes.update_user(
                actor, actor.organisation_id, membership_id, may_sign_agreements=value
            )
        except (InputError, Conflict) as exc:
            message = next(iter(exc.errors.values())) if isinstance(exc, InputError) else exc.message
            flash(request, message, "error")
        else:
            flash(
                request,
                _("%(name)s may now sign agreements.", name=row["name"])
                if value
                else _("%(name)s may no longer sign agreements.", name=row["name"]),
            )
        return redirect(request, "/organisation/agreement")


FIELDS = (
    "kind",
    "effective_on",
    "accept_by",
    *[f"title_{loc}" for loc in LOCALES],
    *[f"text_{loc}" for loc in LOCALES],
)


class AgreementAdmin(Controller):
    path = "/admin/agreements"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "tenants/admin_agreements.html",
            {
                "documents": await agreement_documents.list_documents(actor),
                "kinds": [(k, agreement_documents.kind_label(k)) for k in agreement_documents.KINDS],
                "values": values or {},
                "errors": errors or {},
                "locales": LOCALES,
            },
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._page(request, actor)

    @post("/")
    async def publish(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        values = {f: data.get(f) or "" for f in FIELDS}
        try:
            row = await agreement_documents.publish_document(
                actor,
                kind=values["kind"],
                titles={loc: values[f"title_{loc}"] for loc in LOCALES},
                texts={loc: values[f"text_{loc}"] for loc in LOCALES},
                effective_on=values["effective_on"],
                accept_by=values["accept_by"],
            )
        except InputError as exc:
            return await self._page(request, actor, values, exc.errors, 422)
        flash(
            request,
            _("Version %(version)s of %(title)s is published.", version=row["version"], title=row["title"]),
        )
        return redirect(request, "/admin/agreements")

    @get("/{document_id:int}")
    async def show(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], document_id: FromPath[int]
    ) -> Template:
        return page(
            request,
            "tenants/admin_agreement_document.html",
            {"document": await agreement_documents.get_document(document_id), "locales": LOCALES},
        )


@get("/services/{service_code:str}", include_in_schema=False, dependencies={"actor": Provide(provide_actor)})
async def enter_service(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], service_code: FromPath[str]
) -> Response[Any]:
    """Where a user enters a service: what they may do there and why (rules AG-4..AG-6, MOD-1),
    the same answer the connected services get from the entitlement API. The services themselves
    live elsewhere; this is their door."""
    if actor.organisation_id is None:
        if await offer().service_by_code(service_code) is None:
            raise NotFound()
        return redirect(request, "/choose-organisation")
    found = await entitlements.of_actor(actor, service_code, compliance.provider_kind_of(request))
    return page(
        request,
        "tenants/service_entry.html",
        {"entitlement": found, "name": found.service_name},
        status_code=200 if found.may_use else 403,
    )


@get("/admin/overview", include_in_schema=False, dependencies={"actor": Provide(provide_vendor_admin)})
async def admin_overview(request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
    """The vendor admin's dashboard of agreements, legacy deadlines and user requests."""
    return page(request, "tenants/admin_overview.html", {"o": await compliance.admin_overview(actor)})


@get("/organisation/overview", include_in_schema=False, dependencies={"actor": Provide(provide_actor)})
async def organisation_overview(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor]
) -> Response[Any]:
    """The organisation's dashboard: agreement status with the signed copy, subscriptions, rights."""
    if actor.organisation_id is None:
        return redirect(request, "/admin/overview" if actor.is_vendor_admin else "/choose-organisation")
    return page(
        request,
        "tenants/org_overview.html",
        {
            "organisation": await organisations.get_organisation(actor, actor.organisation_id),
            "agreement": await agreements.agreement_status(actor, actor.organisation_id),
            "subscriptions": await offer().list_subscriptions(actor, actor.organisation_id),
            "gaps": await compliance.gaps(actor, actor.organisation_id),
            "door_codes": await service_doors.door_codes(),
        },
    )


ROUTES: list[Any] = [
    AgreementApi,
    AgreementPages,
    AgreementAdmin,
    enter_service,
    admin_overview,
    organisation_overview,
]
