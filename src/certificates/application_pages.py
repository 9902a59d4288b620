"""A contact person applies for a certificate (rule CRT-3): the form, its live CSR check, and
renewal pre-filled from the certificate it replaces (rule CRT-2)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from src.certificates import applications, dashboard
from src.certificates.applications import ApplicationInput
from src.core.errors import InputError, NotFound
from src.core.i18n import _
from src.core.ids import parse_id
from src.core.tenancy import Actor, TenantScope
from src.core.web import choose_organisation_first, flash, page, redirect
from src.identity.auth import provide_actor

MAX_CSR_UPLOAD = 64 * 1024


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
        holder_membership_id=parse_id(holder),
        lsp_connection=values.get("lsp_connection") in ("on", "true", "1", "yes"),
        renewal_of_number=values.get("renewal_of_number") or None,
    )


class ApplicationPages(Controller):
    path = "/organisation/certificates"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    @get("/apply")
    async def apply_form(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        renew: Annotated[str, QueryParameter(description="Number of the certificate to renew")] = "",
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor, "/admin/certificates")
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
            return choose_organisation_first(request, actor, "/admin/certificates")
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
            return choose_organisation_first(request, actor, "/admin/certificates")
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


ROUTES: list[object] = [ApplicationPages]
