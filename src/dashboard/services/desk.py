"""The vendor admins' service desk: the overview of what waits for them, and one search over
organisations, certificates and people.

Both cross tenants through the admin services of each domain (which require a vendor admin).
Neither writes an audit row: the overview shows counts and the search shows what any admin
list shows. Opening one organisation's users or certificates is recorded (those services)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from src.certificates import dashboard as certificates
from src.core.paging import Paged
from src.core.tenancy import Actor, require_vendor_admin
from src.dashboard.services.mail import failed_delivery_count
from src.tenants.services import organisation_search, people, requests
from src.tenants.services.organisation_search import OrganisationPage, OrganisationQuery

SHOWN = 10  # of each kind the search shows; the list behind it has the rest


@dataclass(frozen=True)
class Count:
    key: str
    count: int
    url: str


async def overview(actor: Actor) -> dict[str, Any]:
    """What waits for a vendor admin, each count with the list behind it; and the revocations
    by reason and month. Overdue invoices join these counts once billing keeps them."""
    require_vendor_admin(actor)
    counts = [
        Count(
            "applications",
            await certificates.pending_application_count(),
            "/admin/certificate-applications?status=pending",
        ),
        Count("user_requests", await requests.pending_request_count(actor), "/admin/user-requests"),
        Count(
            "manual_revocations",
            await certificates.awaiting_manual_count(actor),
            "/admin/revocation-requests?status=awaiting",
        ),
        Count("expiring", await certificates.expiring_count(actor), "/admin/certificates?status=expiring"),
        Count("failed_deliveries", await failed_delivery_count(actor), "/admin/mail#failed-deliveries"),
    ]
    return {"counts": counts, **await certificates.revocation_statistics(actor)}


@dataclass
class SearchResult:
    q: str
    organisations: OrganisationPage | None = None
    certificates: certificates.CertificatePage | None = None
    people: Paged | None = None
    go_to: str = ""  # the one page an exact identifier names

    @property
    def empty(self) -> bool:
        return not any(
            found and found.total for found in (self.organisations, self.certificates, self.people)
        )


async def search(actor: Actor, text: str, people_page: int = 1) -> SearchResult:
    """Organisations by name, KvK number, AGB code or organisationsnummer; certificates by
    number or serial number; people by name or e-mail. When the text is exactly one
    organisation's number or one certificate's number or serial, `go_to` is its page."""
    require_vendor_admin(actor)
    q = " ".join(text.split())[:100]
    if not q:
        return SearchResult(q="")
    wanted = certificates.CertificateQuery.parse(q=q)
    found_certificates = await certificates.find_certificates(actor, wanted)
    exact_certificates = certificates.exact_matches(found_certificates.items, q)
    exact_organisations = await organisation_search.organisations_by_identifier(actor, q)
    if len(exact_certificates) + len(exact_organisations) == 1:
        go_to = (
            f"/admin/certificates/{exact_certificates[0]['number']}"
            if exact_certificates
            else f"/admin/organisations/{exact_organisations[0]['id']}"
        )
        return SearchResult(q=q, go_to=go_to)
    return SearchResult(
        q=q,
        organisations=await organisation_search.list_organisations(
            actor, OrganisationQuery.parse(q=q), summary=True
        ),
        certificates=found_certificates,
        people=await people.find_members(actor, q, people_page),
    )
