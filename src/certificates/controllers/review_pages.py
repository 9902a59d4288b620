"""The vendor admin reviews applications (rule CRT-3): the queue, one application, approving
(issues the certificate; the letter with the revocation code goes out, CRT-4) and rejecting
(no fee, BIL-3)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from src.certificates.services import review
from src.core.errors import Conflict, InputError
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.web import flash, page, redirect
from src.identity.auth import provide_actor


class ReviewPages(Controller):
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
        rows = await review.review_queue(actor, status=status)
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
        row = await review.application_for_review(actor, application_id)
        return page(request, "certificates/admin_application.html", {"a": row, "errors": {}, "values": {}})

    @post("/certificate-applications/{application_id:int}/approve")
    async def approve(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], application_id: FromPath[int]
    ) -> Response[Any]:
        try:
            approval = await review.approve(actor, application_id)
        except (Conflict, InputError) as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"/admin/certificate-applications/{application_id}")
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
            await review.reject(actor, application_id, reason)
        except InputError as exc:
            row = await review.application_for_review(actor, application_id)
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


ROUTES: list[object] = [ReviewPages]
