"""No page shows a person an internal code: every page a vendor admin, a contact person and an
end user reach by following links, in Dutch and in Swedish, with data in every state (issued,
revoked, pending and rejected certificates, a recorded revocation request, a user request).

A code is a value the portal stores for itself (`pending`, `contact_person`,
`uzi_server_certificate`, `eid`, `substantial`), a timestamp as stored (ISO with `T` or
microseconds), or an object number without meaning (`#0`); pages show each in words of the
reader's language, and every date in the one format of that language. A new page reached by a
link is walked without touching this test."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest

from src import demo
from src.certificates.services import applications, manual_revocation, review, revocation
from src.certificates.services.applications import ApplicationInput
from src.tenants.services import requests as user_requests
from src.tenants.tables import Membership, Organisation
from tests import signed_in
from tests.certificates.workflow_support import actor_of, admin_actor, csr_pem
from tests.support import text_of

# Values stored as codes that have a label in every language. English words among them are
# codes on a Dutch or Swedish page; words with an underscore are codes on any page.
CODE_WORDS = (
    "pending|approved|rejected|valid|revoked|expired|active|inactive|suspended|awaiting|executed|"
    "refused|ended|issued|substantial|high|eid|online_code|portal|manual|everyone"
)
CODE = re.compile(
    rf"\b(?:{CODE_WORDS})\b"  # a stored status, level or channel
    r"|\b[a-z]+_[a-z_]+\b"  # a snake_case code (contact_person, uzi_server_certificate, general/...)
    r"|\b\d{4}-\d\d-\d\dT\d\d|\d\d:\d\d:\d\d\.\d+"  # a stored timestamp
    r"|\(#0\)|#0\b"  # an object number that means nothing to a person
    # a date in another format than the one of src.core.i18n.format_date (04/12/2026, 2026-12-04)
    r"|\b\d\d[/-]\d\d[/-]\d{4}\b|\b\d{4}-\d\d-\d\d\b"
)
# Links not to follow: downloads, other documents, and what changes the session.
SKIP = re.compile(r"\.(pem|crt|crl|csv|pdf|zip)$|/signout|/signin|/schema|/static|/pki/|/ocsp|/export")
PAGES_PER_PERSON = 70


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith("/") and not href.startswith("//"):
            self.links.append(href.split("#")[0])


async def _data_in_every_state() -> None:
    await demo.seed()
    org = await Organisation.select().where(Organisation.country == "NL").first()
    eva = await Membership.select().where(Membership.email == "e.janssen@delinde-zorg.example").first()
    contact = await actor_of(eva)
    admin = await admin_actor()

    async def apply(name: str) -> int:
        data = ApplicationInput(
            csr_pem=csr_pem([name], fresh_key=True), dns_names=[name], holder_membership_id=eva["id"]
        )
        return (await applications.apply(contact, org["id"], data))["id"]

    valid = (await review.approve(admin, await apply("www.delinde.example"))).certificate
    revoked = (await review.approve(admin, await apply("old.delinde.example"))).certificate
    await revocation.revoke(contact, revoked.certificate_id, "data_changed", "portal")
    await apply("new.delinde.example")
    await review.reject(admin, await apply("wrong.delinde.example"), "The names are not yours.")
    await manual_revocation.record_request(
        admin,
        certificate_number=valid.number,
        received_via="post",
        received_on="2026-11-30",
        requester_name="Eva Janssen",
        reason="organisation_ceased",
        signed_form=manual_revocation.Upload("form.pdf", b"%PDF-1.4 form"),
        identity_document=manual_revocation.Upload("id.pdf", b"%PDF-1.4 id"),
    )
    await user_requests.create_request(
        contact,
        org["id"],
        name="Joost Mulder",
        email="joost@delinde-zorg.example",
        personal_identity_number="111222333",
    )


def _in_language(html: str, locale: str) -> str:
    """The page without the parts marked as written in another language (an agreement's English
    version shown on a Dutch page is English on purpose)."""
    other = re.compile(rf'<(\w+)\b[^>]*\blang="(?!{locale}")[a-z-]+"[^>]*>.*?</\1>', re.S)
    return other.sub(" ", html)


async def _walk(client: Any, person: demo.DemoPerson, locale: str) -> dict[str, list[str]]:
    """{page: codes it shows} for the pages this person reaches from the start page."""
    client.cookies.clear()
    answer = await signed_in.sign_in(client, dict(demo.demo_user_claims())[person.sub], person.provider)
    assert answer.status_code in (302, 303)
    await client.post_form("/language", {"locale": locale, "next": "/"})
    found: dict[str, list[str]] = {}
    queue, seen = ["/"], set()
    while queue and len(seen) < PAGES_PER_PERSON:
        path = queue.pop(0)
        if path in seen or SKIP.search(urlsplit(path).path):
            continue
        seen.add(path)
        page = await client.get(path)
        if page.status_code != 200 or not page.headers.get("content-type", "").startswith("text/html"):
            continue
        links = _Links()
        links.feed(page.text)
        queue += links.links
        codes = sorted({m.group(0) for m in CODE.finditer(text_of(_in_language(page.text, locale)))})
        if codes:
            found[path] = codes
    assert len(seen) > 5, f"{person.sub} reached only {sorted(seen)}"
    return found


@pytest.mark.parametrize(
    ("sub", "locales"),
    [
        ("femke.hendriks", ("nl", "sv")),  # vendor admin
        ("eva.janssen", ("nl", "sv")),  # contact person (NL)
        ("sanne.bakker", ("nl",)),  # end user (NL)
        ("karin.johansson", ("sv",)),  # contact person (SE), signs in with a card
    ],
)
async def test_no_page_shows_an_internal_code(client: Any, sub: str, locales: tuple[str, ...]) -> None:
    await _data_in_every_state()
    person = demo.person_by_sub(sub)
    shown = {locale: await _walk(client, person, locale) for locale in locales}
    assert shown == {locale: {} for locale in locales}
