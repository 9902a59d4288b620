"""A contact person applies for a certificate (rule CRT-3): the form, its live CSR check, and
renewal pre-filled from the certificate it replaces (rule CRT-2)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from src.certificates.services import applications, overview
from src.certificates.services import csr as signing_requests
from src.certificates.services.applications import ApplicationInput
from src.core.errors import InputError, NotFound
from src.core.i18n import _
from src.core.ids import parse_id
from src.core.tenancy import Actor, TenantScope
from src.core.web import choose_organisation_first, flash, page, redirect
from src.identity.auth import provide_actor

MAX_CSR_UPLOAD = 64 * 1024


KINDS = ("server", "personal")


async def _form_values(request: Request[Any, Any, Any]) -> tuple[dict[str, str], str | bytes]:
    """The apply form's fields, and the CSR: the uploaded file when one is given, else the text.

    `dns_names` comes as the ticked boxes of the names the CSR holds (one value each) or, from
    older forms and scripts, as one text of names; `names_offered` lists the names that had a
    box, so that unticking every one is not mistaken for "take all"."""
    form = await request.form()
    values = {
        key: (form.get(key) or "").strip() if isinstance(form.get(key), str) else ""
        for key in (
            "kind",
            "csr_pem",
            "holder_user_id",
            "lsp_connection",
            "renewal_of_number",
            "renewed_names",
            "names_offered",
        )
    }
    values["kind"] = values["kind"] if values["kind"] in KINDS else "server"
    values["dns_names"] = "\n".join(n.strip() for n in form.getall("dns_names", []) if isinstance(n, str))
    upload = form.get("csr_file")
    csr: str | bytes = values["csr_pem"]
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(MAX_CSR_UPLOAD + 1)
        if len(content) > MAX_CSR_UPLOAD:
            raise InputError({"csr_pem": _("This file is too large to be a certificate signing request.")})
        if content.strip():
            csr = content
            if isinstance(content, bytes) and content.isascii():
                values["csr_pem"] = content.decode().strip()  # shown again if the form comes back
    return values, csr


def _read(csr: str | bytes) -> signing_requests.CheckedCsr | None:
    """The CSR when there is one and it is sound; its faults are told by the check or apply."""
    if not csr or (isinstance(csr, str) and not csr.strip()):
        return None
    try:
        return signing_requests.read_csr(csr)
    except InputError:
        return None


def _chosen_names(values: dict[str, str], checked: signing_requests.CheckedCsr | None) -> str:
    """The DNS names applied for: those ticked; every name of the CSR when none were offered to
    tick (the form without JavaScript, or before the CSR was checked)."""
    if values["kind"] != "server" or values["dns_names"] or values.get("names_offered") or checked is None:
        return values["dns_names"]
    return "\n".join(sorted(checked.names))


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


def _check_context(
    values: dict[str, str], checked: signing_requests.CheckedCsr | None, errors: dict[str, str]
) -> dict[str, Any]:
    """What the CSR check shows: the key and, for a server certificate, a box per name in the
    CSR (ticked unless unticked), and the names of a renewed certificate the CSR lacks."""
    names = sorted(checked.names) if checked else []
    # Names offered before keep their box as the person left it; a name new to the form (the
    # first check, or another CSR) starts ticked.
    offered = set(signing_requests.split_names(values.get("names_offered") or ""))
    ticked = set(signing_requests.split_names(values.get("dns_names") or "")) & offered
    ticked |= {n for n in names if n not in offered}
    renewed = signing_requests.split_names(values.get("renewed_names") or "")
    return {
        "checked": checked,
        "errors": errors,
        "values": values,
        "names": names,
        "ticked": ticked,
        "lacking": [n for n in renewed if checked and n not in checked.names],
    }


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
        kind: Annotated[str, QueryParameter(description="server or personal")] = "server",
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor, "/admin/certificates")
        TenantScope(actor, actor.organisation_id).require_contact_person()
        values: dict[str, str] = {"kind": kind if kind in KINDS else "server"}
        if renew:
            old = await overview.certificate_by_number(actor, renew)
            if old["organisation"] != actor.organisation_id:
                raise NotFound()
            # rule CRT-2: renewing pre-fills the names, the holder and the LSP flag; a new CSR is needed
            values = {
                "kind": old["kind"],
                "renewed_names": "\n".join(old["dns_names"]),
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
        csr: str | bytes = ""
        try:
            values, csr = await _form_values(request)
            values["dns_names"] = _chosen_names(values, _read(csr))
            row = await applications.apply(actor, actor.organisation_id, _input(values, csr))
        except InputError as exc:
            return await self._form(request, actor, values, exc.errors, csr=csr, status_code=422)
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
        """htmx: what the CSR holds, or what is wrong with it, while the form is filled in; for a
        server certificate, the CSR's names to untick."""
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor, "/admin/certificates")
        TenantScope(actor, actor.organisation_id).require_contact_person()
        errors: dict[str, str] = {}
        checked = None
        values: dict[str, str] = {"kind": "server", "dns_names": ""}
        try:
            values, csr = await _form_values(request)
            if (isinstance(csr, str) and csr.strip()) or isinstance(csr, bytes):
                checked = signing_requests.read_csr(csr)
        except InputError as exc:
            errors = exc.errors
        return page(request, "certificates/_csr_check.html", _check_context(values, checked, errors))

    async def _form(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        values: dict[str, str],
        errors: dict[str, str],
        csr: str | bytes = "",
        status_code: int = 200,
    ) -> Response[Any]:
        assert actor.organisation_id is not None
        holders = await applications.holder_choices(actor, actor.organisation_id)
        values.setdefault("kind", "server")
        # A form that comes back shows its CSR's names ticked as they were.
        return page(
            request,
            "certificates/org_apply.html",
            {**_check_context(values, _read(csr), errors), "holders": holders},
            status_code=status_code,
        )


ROUTES: list[object] = [ApplicationPages]
