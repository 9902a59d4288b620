"""Pages of the dashboard: the audit log (and its CSV export), the local mail catcher and the
failed deliveries, which vendor admins can send again, and an organisation's data export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream, Template

from src.certificates import reasons
from src.core import outbox
from src.core.errors import Conflict
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.web import choose_organisation_first, content_disposition, flash, is_partial, page, redirect
from src.dashboard.services import audit as audit_entries
from src.dashboard.services import audit_csv, desk, export
from src.dashboard.services import mail as mails
from src.identity.auth import provide_actor
from src.identity.guards import provide_vendor_admin
from src.settings import get_settings

DEPENDENCIES = {"actor": Provide(provide_actor)}

Query = Annotated[str | None, QueryParameter(required=False)]


def _filters(
    organisation: str | None,
    action: str | None,
    person: str | None,
    date_from: str | None,
    date_to: str | None,
    page_number: str | None,
) -> audit_entries.AuditFilters:
    return audit_entries.parse_audit_filters(
        {
            "organisation": organisation,
            "action": action,
            "person": person,
            "from": date_from,
            "to": date_to,
            "page": page_number,
        }
    )


@get("/audit", include_in_schema=False, dependencies=DEPENDENCIES)
async def audit_log(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    organisation: Query = None,
    action: Query = None,
    person: Query = None,
    date_from: Annotated[str | None, QueryParameter(name="from", required=False)] = None,
    date_to: Annotated[str | None, QueryParameter(name="to", required=False)] = None,
    page_number: Annotated[str | None, QueryParameter(name="page", required=False)] = None,
) -> Template:
    """Vendor admins: every row; contact persons: their organisation's rows; end users: 403."""
    filters = _filters(organisation, action, person, date_from, date_to, page_number)
    partial = is_partial(request)
    result = await audit_entries.audit_page(actor, filters, with_actions=not partial)
    context = {
        "result": result,
        "filters": filters,
        "errors": filters.errors,
        "partial": partial,
        "newer_url": _url("/audit", filters.query(page=filters.page - 1)) if filters.page > 1 else "",
        "older_url": _url("/audit", filters.query(page=filters.page + 1)) if result.has_next else "",
        "export_url": _url("/audit.csv", filters.describe()),
    }
    status = 422 if filters.errors and not partial else 200
    return page(
        request, "dashboard/audit.html", context, partial="dashboard/_audit_table.html", status_code=status
    )


@get("/audit.csv", include_in_schema=False, dependencies=DEPENDENCIES)
async def audit_export(
    actor: NamedDependency[Actor],
    organisation: Query = None,
    action: Query = None,
    person: Query = None,
    date_from: Annotated[str | None, QueryParameter(name="from", required=False)] = None,
    date_to: Annotated[str | None, QueryParameter(name="to", required=False)] = None,
) -> Stream:
    """The rows the same filters show, every page, as CSV."""
    filters = _filters(organisation, action, person, date_from, date_to, None)
    lines = await audit_csv.export_audit_csv(actor, filters)
    name = f"audit-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M}.csv"
    return Stream(
        lines,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@get("/admin/mail", include_in_schema=False, dependencies=DEPENDENCIES)
async def mail_list(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
) -> Template:
    """The mail the embedded default caught instead of sending, newest first, and the deliveries
    that were given up on (vendor admins)."""
    result = await mails.caught_mails(actor, page_number)
    settings = get_settings()
    context = {
        "result": result,
        "failed": None if is_partial(request) else await mails.failed_deliveries(actor),
        "smtp": f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else "",
        "newer_url": _url("/admin/mail", {"page": str(result.page - 1)}) if result.page > 1 else "",
        "older_url": _url("/admin/mail", {"page": str(result.page + 1)}) if result.has_next else "",
    }
    return page(request, "dashboard/mail.html", context, partial="dashboard/_mail_table.html")


@get("/admin/mail/{mail_id:int}", include_in_schema=False, dependencies=DEPENDENCIES)
async def mail_detail(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], mail_id: FromPath[int]
) -> Template:
    mail = await mails.caught_mail(actor, mail_id)
    return page(request, "dashboard/mail_detail.html", {"mail": mail})


@get(
    "/admin/mail/{mail_id:int}/attachments/{attachment_id:int}",
    include_in_schema=False,
    dependencies=DEPENDENCIES,
)
async def mail_attachment(
    actor: NamedDependency[Actor], mail_id: FromPath[int], attachment_id: FromPath[int]
) -> Response[bytes]:
    """An attachment of a caught mail, as the recipient would have received it."""
    attachment = await mails.caught_attachment(actor, mail_id, attachment_id)
    return Response(
        content=attachment["content"],
        media_type=attachment["content_type"] or "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(attachment["filename"]),
            "Cache-Control": "no-store",
        },
    )


@post("/admin/mail/failed/{row_id:int}/resend", include_in_schema=False, dependencies=DEPENDENCIES)
async def resend_failed(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], row_id: FromPath[int]
) -> Response[Any]:
    """Hand one failed delivery back to the outbox relay."""
    return await _resend(request, actor, [row_id])


@post("/admin/mail/failed/resend", include_in_schema=False, dependencies=DEPENDENCIES)
async def resend_all_failed(request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
    """Hand every failed delivery back to the outbox relay."""
    return await _resend(request, actor, None)


async def _resend(request: Request[Any, Any, Any], actor: Actor, ids: list[int] | None) -> Response[Any]:
    try:
        resent = await outbox.retry_failed(actor, ids)
    except Conflict as exc:
        message, category, status = exc.message, "error", 409
    else:
        if ids is None:
            message = _("All failed messages are being sent again (%(count)s).", count=len(resent))
        else:
            message = _("The message is being sent again.")
        category, status = "success", 200
    if is_partial(request):
        context = {
            "failed": await mails.failed_deliveries(actor),
            "failed_message": message,
            "failed_message_category": category,
        }
        return page(request, "dashboard/_failed_deliveries.html", context, status_code=status)
    flash(request, message, category)
    return redirect(request, "/admin/mail")


def _url(path: str, query: dict[str, str]) -> str:
    query = {k: v for k, v in query.items() if v and not (k == "page" and v == "1")}
    return f"{path}?{urlencode(query)}" if query else path


@get("/admin", include_in_schema=False, dependencies=DEPENDENCIES)
async def admin_overview(request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
    """Where a vendor admin lands: what waits for them, each count linking to its list."""
    data = await desk.overview(actor)
    return page(request, "dashboard/admin_home.html", {**data, "reason_label": reasons.label})


@get("/admin/search", include_in_schema=False, dependencies=DEPENDENCIES)
async def admin_search(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    q: Query = None,
    page_number: Annotated[str | None, QueryParameter(name="page", required=False)] = None,
) -> Response[Any]:
    """The search of the header: organisations, certificates and people, grouped; an exact
    identifier goes straight to its page."""
    try:
        people_page = max(1, int(page_number or 1))
    except ValueError:
        people_page = 1
    result = await desk.search(actor, q or "", people_page)
    if result.go_to:
        return redirect(request, result.go_to)
    return page(
        request,
        "dashboard/admin_search.html",
        {
            "result": result,
            "desk_query": result.q,
            "people_url": lambda number: _url("/admin/search", {"q": result.q, "page": str(number)}),
        },
        partial="dashboard/_admin_search_people.html",
    )


def export_response(result: export.Export) -> Response[bytes]:
    """The organisation's data export as a download (rule AG-7)."""
    return Response(
        content=result.content,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{result.filename}"',
            "Cache-Control": "no-store",
        },
    )


@get("/organisation/export", include_in_schema=False, dependencies=DEPENDENCIES)
async def organisation_export(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor]
) -> Response[Any]:
    """Everything the organisation has in the portal, as one ZIP (contact persons, rule AG-7)."""
    if actor.organisation_id is None:
        return choose_organisation_first(request, actor)
    return export_response(await export.export_organisation(actor, actor.organisation_id))


@get(
    "/admin/organisations/{organisation_id:int}/export",
    include_in_schema=False,
    dependencies={"actor": Provide(provide_vendor_admin)},
)
async def admin_organisation_export(
    actor: NamedDependency[Actor], organisation_id: FromPath[int]
) -> Response[Any]:
    """The same data export a contact person downloads (rule AG-7); audited."""
    return export_response(await export.export_organisation(actor, organisation_id))


ROUTES = [
    organisation_export,
    admin_organisation_export,
    admin_overview,
    admin_search,
    audit_log,
    audit_export,
    mail_list,
    mail_detail,
    mail_attachment,
    resend_failed,
    resend_all_failed,
]
