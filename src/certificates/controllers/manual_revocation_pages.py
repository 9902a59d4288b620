"""Revocation requests received by post or e-mail (rule REV-5): vendor admins record them with
the scanned evidence, tick the checklist, then execute or refuse them."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from src.certificates import reasons
from src.certificates.services import manual_revocation
from src.core.errors import Conflict, InputError
from src.core.i18n import _
from src.core.tenancy import Actor, require_vendor_admin
from src.core.web import flash, page, redirect
from src.identity.auth import provide_actor


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
        rows = await manual_revocation.list_requests(actor, status)
        return page(request, "certificates/admin_manual_requests.html", {"requests": rows, "status": status})

    @get("/new")
    async def new_form(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        require_vendor_admin(actor)
        return self._form(request, {"received_via": "email"}, {})

    @post("/new", request_max_body_size=2 * manual_revocation.MAX_EVIDENCE_BYTES + 1024 * 1024)
    async def record(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        require_vendor_admin(actor)
        form = await request.form()
        fields = ("certificate_number", "received_via", "received_on", "requester_name", "reason", "notes")
        values = {
            k: str(form.get(k) or "") if not isinstance(form.get(k), UploadFile) else "" for k in fields
        }
        uploads: dict[str, manual_revocation.Upload | None] = {}
        for kind in manual_revocation.EVIDENCE_KINDS:
            upload = form.get(kind)
            if isinstance(upload, UploadFile) and upload.filename:
                content = await upload.read(manual_revocation.MAX_EVIDENCE_BYTES + 1)
                uploads[kind] = manual_revocation.Upload(filename=upload.filename, content=content)
            else:
                uploads[kind] = None
        try:
            row = await manual_revocation.record_request(
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
        row = await manual_revocation.get_request(actor, request_id)
        return page(
            request,
            "certificates/admin_manual_request.html",
            {
                "r": row,
                "errors": errors,
                "checklist": manual_revocation.checklist_labels(),
                "evidence_labels": manual_revocation.evidence_labels(),
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
        ticked = {item: form.get(item) in ("on", "true", "1") for item in manual_revocation.CHECKLIST}
        try:
            await manual_revocation.confirm_checklist(actor, request_id, ticked)
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
            result = await manual_revocation.execute(actor, request_id)
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"/admin/revocation-requests/{request_id}")
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
            await manual_revocation.refuse(actor, request_id, str(form.get("note") or ""))
        except InputError as exc:
            return await self._detail(request, actor, request_id, exc.errors, status_code=422)
        except Conflict as exc:
            flash(request, exc.message, "error")
        return redirect(request, f"/admin/revocation-requests/{request_id}")

    @get("/{request_id:int}/evidence/{file_id:int}")
    async def evidence(
        self, actor: NamedDependency[Actor], request_id: FromPath[int], file_id: FromPath[int]
    ) -> Response[Any]:
        row, content = await manual_revocation.evidence_file(actor, request_id, file_id)
        return Response(
            content=content,
            media_type=row["content_type"],
            headers={
                "Content-Disposition": f'attachment; filename="{row["filename"]}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )


ROUTES: list[object] = [ManualRevocationPages]
