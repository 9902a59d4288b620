"""Rights per module (rules MOD-1, MOD-2): the users-by-modules matrix for contact persons
(/organisation/rights, each cell edited with htmx) and the API per user."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Template

from src.core.errors import InputError
from src.core.i18n import LANGUAGE_NAMES, LOCALES, _, ngettext
from src.core.ids import parse_id
from src.core.tenancy import Actor
from src.core.web import choose_organisation_first, flash, is_partial, page, redirect
from src.identity.auth import provide_actor
from src.identity.guards import provide_contact_person, provide_vendor_admin
from src.tenants.catalogue import offer
from src.tenants.schemas import RightOut, RightsUpdate
from src.tenants.services import module_mails, rights, users

Form = URLEncodedBody[dict[str, str]]


class RightsApi(Controller):
    path = "/api/v1/organisations/{organisation_id:int}/users/{user_id:int}/rights"
    tags = ["rights"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/", summary="A user's rights per module", description="Contact persons and vendor admins.")
    async def get_rights(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], user_id: FromPath[int]
    ) -> list[RightOut]:
        return [RightOut(**r) for r in await rights.user_rights(actor, organisation_id, user_id)]

    @put(
        "/",
        summary="Set a user's rights per module",
        description="Only modules of services the organisation subscribes to (422 otherwise). Taking "
        "away the organisation's last signing right answers 409 unless `confirm_last_signer` is true.",
    )
    async def put_rights(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        user_id: FromPath[int],
        data: JSONBody[RightsUpdate],
    ) -> list[RightOut]:
        rows = await rights.replace_rights(
            actor,
            organisation_id,
            user_id,
            [{"service": r.service, "module": r.module, "signing": r.signing} for r in data.rights],
            confirm_last_signer=data.confirm_last_signer,
        )
        return [RightOut(**r) for r in rows]


class RightsPages(Controller):
    path = "/organisation/rights"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_actor)}

    @get("/", dependencies={"actor": Provide(provide_contact_person)})
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        if actor.organisation_id is None:
            return choose_organisation_first(request, actor)
        return page(request, "tenants/rights.html", {"m": await rights.matrix(actor, actor.organisation_id)})

    @get("/export.csv")
    async def export(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Any]:
        """All users with their registered e-mail and rights, as CSV (rule MOD-3)."""
        if actor.organisation_id is None:
            return redirect(request, "/")
        rows = await rights.export_users(actor, actor.organisation_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([_("Name"), _("Registered e-mail"), _("Role"), _("Active"), _("Rights")])
        for r in rows:
            writer.writerow(
                [
                    _safe(r["name"]),
                    _safe(r["email"]),
                    _("Contact person") if r["role"] == "contact_person" else _("End user"),
                    _("Yes") if r["active"] else _("No"),
                    "; ".join(r["rights"]),
                ]
            )
        return Response(
            content=buffer.getvalue().encode("utf-8"),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="users.csv"'},
        )

    @post("/{membership_id:int}/{module_id:int}")
    async def set_cell(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        membership_id: FromPath[int],
        module_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        if actor.organisation_id is None:
            return redirect(request, "/")
        state = data.get("state", "")
        if state not in ("none", "right", "signing"):
            state = "none"
        confirm = data.get("confirm") == rights.LAST_SIGNER
        error, needs_confirm, status_code = "", False, 200
        try:
            await rights.set_right(
                actor,
                actor.organisation_id,
                membership_id,
                module_id,
                granted=state != "none",
                signing=state == "signing",
                confirm_last_signer=confirm,
            )
        except rights.LastSignerConflict as exc:
            error, needs_confirm, status_code = exc.message, True, 409
        except InputError as exc:
            error, status_code = next(iter(exc.errors.values())), 422
        if not is_partial(request):
            if error and needs_confirm:
                current = await rights.cell(actor, actor.organisation_id, membership_id, module_id)
                return page(
                    request,
                    "tenants/rights_confirm.html",
                    {"c": current, "error": error, "state": state},
                    status_code=409,
                )
            flash(request, error or _("The rights were saved."), "error" if error else "success")
            return redirect(request, "/organisation/rights")
        current = await rights.cell(actor, actor.organisation_id, membership_id, module_id)
        return page(
            request,
            "tenants/_rights_cell.html",
            {
                "c": current,
                "error": error,
                "needs_confirm": needs_confirm,
                "state": state,
                "saved": not error,
            },
            status_code=status_code,
        )


def _safe(value: str) -> str:
    """Keep spreadsheets from reading a cell as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


class ModuleMessagesAdmin(Controller):
    """A vendor admin sends a module message to every user with rights for it (rule MOD-6)."""

    path = "/admin/module-messages"
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "tenants/admin_module_messages.html",
            {
                "catalogue": await offer().catalogue(),
                "values": values or {},
                "errors": errors or {},
                "languages": [(loc, LANGUAGE_NAMES[loc]) for loc in LOCALES],
            },
            status_code=status_code,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Template:
        return await self._page(request)

    @post("/")
    async def send(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], data: Form
    ) -> Response[Any]:
        per_language = [f"{part}_{loc}" for part in ("subject", "body") for loc in LOCALES]
        values = {k: data.get(k) or "" for k in ("module", "organisation", "subject", "body", *per_language)}
        errors: dict[str, str] = {}
        module_id = parse_id(values["module"]) or 0
        organisation_id: int | None = None
        if values["organisation"].strip():
            organisation_id = parse_id(values["organisation"])
            if organisation_id is None:
                errors["organisation"] = _(
                    "Enter an organisation number from the list of organisations, or nothing."
                )
        try:
            if errors:
                raise InputError(errors)
            # A text of the user's language where one is given, else the text for everyone.
            sent = await module_mails.send_module_message(
                actor,
                module_id=module_id,
                subject={loc: values[f"subject_{loc}"] or values["subject"] for loc in LOCALES},
                body={loc: values[f"body_{loc}"] or values["body"] for loc in LOCALES},
                organisation_id=organisation_id,
            )
        except InputError as exc:
            named = {field.replace(".", "_"): message for field, message in exc.errors.items()}
            return await self._page(request, values, {**errors, **named}, 422)
        flash(
            request, ngettext("The message goes to %(num)d user.", "The message goes to %(num)d users.", sent)
        )
        return redirect(request, "/admin/module-messages")


async def confirm_step(
    request: Request[Any, Any, Any], actor: Actor, user_id: int, exc: Exception, action: str
) -> Response[Any]:
    """The users page's confirmation step when deactivating needs one (the last signer, MOD-2):
    shows the consequence and posts the same action again with the confirmation."""

    assert actor.organisation_id is not None
    user = await users.get_user(actor, actor.organisation_id, user_id)
    return page(
        request,
        "tenants/confirm_deactivate.html",
        {
            "u": user,
            "message": getattr(exc, "message", str(exc)),
            "confirmation": getattr(exc, "confirmation", ""),
            "action": action,
        },
        partial="tenants/_confirm_deactivate_row.html",
        status_code=409,
    )


ROUTES: list[Any] = [RightsApi, RightsPages, ModuleMessagesAdmin]
