"""A vendor admin makes an interest note for an overdue invoice by hand, from the invoice's page
(services/interest_notes.py, audited there)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from src.billing.invoice_pages import BASE
from src.billing.services import interest_notes
from src.core.errors import Conflict
from src.core.i18n import _
from src.core.tenancy import Actor
from src.core.web import flash, redirect
from src.identity.guards import provide_vendor_admin


class InterestNotesAdmin(Controller):
    path = BASE
    include_in_schema = False
    dependencies = {"actor": Provide(provide_vendor_admin)}

    @post("/{invoice_id:int}/interest-note")
    async def make(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], invoice_id: FromPath[int]
    ) -> Response[Any]:
        try:
            note = await interest_notes.make_by_hand(actor, invoice_id)
        except Conflict as exc:
            flash(request, exc.message, "error")
            return redirect(request, f"{BASE}/{invoice_id}")
        flash(request, _("Interest note %(number)s is made and sent.", number=note["number"]))
        return redirect(request, f"{BASE}/{invoice_id}")
