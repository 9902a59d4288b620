"""Demo data for `make run` (seed data: the demo people and organisations) and the vendor-admin
bootstrap.

Everything here is idempotent: organisations are found again by KvK number or
organisationsnummer, people by their personal identity number or card id (vendor admins made
on the command line by e-mail), memberships by (organisation, person). Running it twice
changes nothing the second time. What the organisations have signed, subscribed to and granted
is in src/demo/state.py; the local OpenID provider's users and sign-in buttons in
src/demo/provider.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from piccolo.columns.combination import WhereRaw

from src.core import audit, db
from src.core.tenancy import CONTACT_PERSON, END_USER, Actor
from src.demo import rows
from src.tenants import validation
from src.tenants.tables import Organisation, Person

EID_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"
CARD_CLAIM = "card_holder_id"

# Legal forms as stored in Organisation.legal_form.
BV = "bv"
ENSKILD_FIRMA = "enskild_firma"
AKTIEBOLAG = "aktiebolag"

DEMO_ACTOR = Actor(person_id=0, name="demo data (portal seed-demo)")

# The demo's service desk (settings SERVICE_DESK_*), unless the environment names a real one.
DEMO_SERVICE_DESK = {
    "SERVICE_DESK_NAME": "Care portal service desk",
    "SERVICE_DESK_EMAIL": "servicedesk@care-portal.example",
    "SERVICE_DESK_PHONE": "+31 20 555 0100",
    "SERVICE_DESK_ADDRESS": "Postbus 12345; 1000 AB Amsterdam; Netherlands",
    # The vendor on invoices (settings VENDOR_*): numbers that pass their registers' checks.
    "VENDOR_NAME": "Care Portal Services B.V.",
    "VENDOR_ADDRESS": "Herengracht 182; 1016 BR Amsterdam; Netherlands",
    "VENDOR_VAT_NUMBER": "NL859327516B01",
    "VENDOR_CHAMBER_OF_COMMERCE": "34123456",
    "VENDOR_IBAN": "NL91ABNA0417164300",
    "VENDOR_BIC": "ABNANL2A",
    # The party reimbursing certificate fees (rule BIL-4), as the buyer of its invoices: a demo
    # stand-in with numbers that pass their checks, not the real organisation's.
    "THIRD_PARTY_PAYERS": (
        '{"VZVZ": {"name": "VZVZ Servicecentrum (demo)", "address": "Demoweg 1; 2511 AA Den Haag",'
        ' "country": "NL", "registration": "27363917", "vat_number": "NL819000000B01",'
        ' "peppol_id": "0106:27363917", "email": "facturen@vzvz.example"}}'
    ),
    # The catalogue's seed prices are examples: the pages that show prices say so.
    "EXAMPLE_PRICES": "1",
}
CLI_ACTOR = Actor(person_id=0, name="command line (portal create-vendor-admin)")


@dataclass(frozen=True)
class DemoPerson:
    sub: str  # the subject at the local OpenID provider: the button to press there
    name: str
    email: str
    personal_identity_number: str | None = None
    card_id: str | None = None
    is_vendor_admin: bool = False

    @property
    def provider(self) -> str:
        """The sign-in button this person uses on /signin."""
        if self.is_vendor_admin:
            return "staff"
        return "card" if self.card_id else "eid"


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    country: str
    legal_form: str
    billing_address: str
    postal_address: str
    kvk_number: str | None = None
    agb_code: str | None = None
    org_number: str | None = None
    members: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (person sub, role)
    vat_number: str = ""
    billing_email: str = ""
    peppol_id: str = ""


VENDOR_ADMIN = DemoPerson(
    sub="femke.hendriks",
    name="Femke Hendriks",
    email="femke.hendriks@zorg-it.example",
    personal_identity_number="123456782",
    is_vendor_admin=True,
)

PEOPLE: tuple[DemoPerson, ...] = (
    VENDOR_ADMIN,
    # Zorggroep De Linde B.V. (NL): DigiD-style e-ID, matched on the BSN.
    DemoPerson("eva.janssen", "Eva Janssen", "e.janssen@delinde-zorg.example", "234567892"),
    DemoPerson("pieter.devries", "Pieter de Vries", "p.devries@delinde-zorg.example", "314159265"),
    DemoPerson("sanne.bakker", "Sanne Bakker", "s.bakker@delinde-zorg.example", "271828183"),
    DemoPerson("daan.visser", "Daan Visser", "d.visser@delinde-zorg.example", "161803398"),
    DemoPerson("lotte.smit", "Lotte Smit", "l.smit@delinde-zorg.example", "141421356"),
    DemoPerson("thijs.meijer", "Thijs Meijer", "t.meijer@delinde-zorg.example", "173205082"),
    # Ingrid Lindqvist Fysioterapi (SE, enskild firma): BankID-style e-ID, matched on the personnummer.
    DemoPerson("ingrid.lindqvist", "Ingrid Lindqvist", "ingrid@lindqvistfysio.example", "197604122387"),
    # Vårdcentralen Björken AB (SE): SITHS smart card, matched on the HSA-id.
    DemoPerson(
        "karin.johansson", "Karin Johansson", "karin.johansson@bjorken.example", card_id="SE2321000016-4KJ7"
    ),
    DemoPerson(
        "erik.andersson", "Erik Andersson", "erik.andersson@bjorken.example", card_id="SE2321000016-8EA2"
    ),
    DemoPerson(
        "maria.nilsson", "Maria Nilsson", "maria.nilsson@bjorken.example", card_id="SE2321000016-3MN5"
    ),
)

ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        name="Zorggroep De Linde B.V.",
        country="NL",
        legal_form=BV,
        kvk_number="30276841",
        agb_code="47051234",
        billing_address=(
            "Zorggroep De Linde B.V.\nt.a.v. Financiële administratie\nPostbus 2140\n3500 GC Utrecht"
        ),
        postal_address="Zorggroep De Linde B.V.\nLindelaan 12\n3581 KD Utrecht",
        vat_number="NL802741538B01",
        billing_email="facturen@delinde-zorg.example",
        peppol_id="0106:30276841",
        members=(
            ("eva.janssen", CONTACT_PERSON),
            ("pieter.devries", CONTACT_PERSON),
            ("sanne.bakker", END_USER),
            ("daan.visser", END_USER),
            ("lotte.smit", END_USER),
            ("thijs.meijer", END_USER),
        ),
    ),
    DemoOrganisation(
        name="Ingrid Lindqvist Fysioterapi",
        country="SE",
        legal_form=ENSKILD_FIRMA,
        org_number="197604122387",  # an enskild firma's organisationsnummer is the owner's personnummer
        billing_address="Ingrid Lindqvist Fysioterapi\nDrottninggatan 18\n753 10 Uppsala",
        postal_address="Ingrid Lindqvist Fysioterapi\nDrottninggatan 18\n753 10 Uppsala",
        members=(("ingrid.lindqvist", CONTACT_PERSON),),
    ),
    DemoOrganisation(
        name="Vårdcentralen Björken AB",
        country="SE",
        legal_form=AKTIEBOLAG,
        org_number="5567812341",
        billing_address="Vårdcentralen Björken AB\nEkonomiavdelningen\nBox 1123\n131 26 Nacka",
        postal_address="Vårdcentralen Björken AB\nBjörkvägen 7\n131 40 Nacka",
        vat_number="SE556781234101",
        peppol_id="0007:5567812341",
        members=(
            ("karin.johansson", CONTACT_PERSON),
            ("erik.andersson", END_USER),
            ("maria.nilsson", END_USER),
        ),
    ),
)


def person_by_sub(sub: str) -> DemoPerson:
    return next(p for p in PEOPLE if p.sub == sub)


# --- writing -----------------------------------------------------------------------------


@dataclass
class SeedReport:
    organisations_created: int = 0
    people_created: int = 0
    memberships_created: int = 0
    documents_published: int = 0
    notices_announced: int = 0
    signers_authorised: int = 0
    agreements_signed: int = 0
    subscriptions_created: int = 0
    changes_scheduled: int = 0
    price_changes_announced: int = 0
    rights_granted: int = 0

    @property
    def anything_created(self) -> bool:
        return any(vars(self).values())

    def summary(self) -> str:
        if not self.anything_created:
            return "Demo data is already present; nothing changed."
        return (
            f"Demo data loaded: {self.organisations_created} organisations, "
            f"{self.people_created} people, {self.memberships_created} memberships created; "
            f"{self.documents_published} agreement documents published, "
            f"{self.agreements_signed} agreements signed, {self.subscriptions_created} subscriptions "
            f"({self.changes_scheduled} cancellations under notice, {self.price_changes_announced} price "
            f"changes announced), {self.rights_granted} module rights."
        )


def check_demo_identifiers() -> None:
    """Every demo identifier passes the same validation a form would apply (raises ValueError)."""
    for org in ORGANISATIONS:
        if org.kvk_number:
            validation.kvk_number(org.kvk_number)
        if org.agb_code:
            validation.agb_code(org.agb_code)
        if org.org_number:
            validation.org_number(org.org_number, sole_proprietorship=org.legal_form == ENSKILD_FIRMA)
    for p in PEOPLE:
        if p.personal_identity_number:
            country = "NL" if len(p.personal_identity_number) == 9 else "SE"
            validation.personal_identity_number(p.personal_identity_number, country)


async def _ensure_person(p: DemoPerson, report: SeedReport) -> int:
    if p.personal_identity_number:
        found = Person.personal_identity_number == p.personal_identity_number
    else:
        found = Person.card_id == p.card_id
    row = await Person.select(Person.id).where(found).first()
    if row is not None:
        return int(row["id"])
    created = await Person.insert(
        Person(
            name=p.name,
            email=p.email,
            personal_identity_number=p.personal_identity_number,
            card_id=p.card_id,
            is_vendor_admin=p.is_vendor_admin,
        )
    ).returning(Person.id)
    report.people_created += 1
    return int(created[0]["id"])


async def _ensure_organisation(org: DemoOrganisation, report: SeedReport) -> int:
    if org.kvk_number:
        existing = await Organisation.select(Organisation.id).where(Organisation.kvk_number == org.kvk_number)
    else:
        existing = await Organisation.select(Organisation.id).where(Organisation.org_number == org.org_number)
    if existing:
        return int(existing[0]["id"])
    values: dict[str, Any] = {
        "name": org.name,
        "country": org.country,
        "legal_form": org.legal_form,
        "kvk_number": org.kvk_number,
        "agb_code": org.agb_code,
        "org_number": org.org_number,
        "billing_address": org.billing_address,
        "postal_address": org.postal_address,
        "vat_number": org.vat_number,
        "billing_email": org.billing_email,
        "peppol_id": org.peppol_id,
        "status": "active",
    }
    created = await Organisation.insert(Organisation(**values)).returning(Organisation.id)
    org_id = int(created[0]["id"])
    report.organisations_created += 1
    await audit.record(
        DEMO_ACTOR,
        "demo.organisation_seeded",
        organisation_id=org_id,
        object_type="organisation",
        object_id=org_id,
        after=values,
    )
    return org_id


async def _ensure_membership(
    org_id: int, person_id: int, p: DemoPerson, role: str, report: SeedReport
) -> None:
    if await rows.membership_exists(org_id, person_id):
        return
    membership_id = await rows.insert_membership(org_id, person_id, name=p.name, email=p.email, role=role)
    report.memberships_created += 1
    await audit.record(
        DEMO_ACTOR,
        "demo.user_seeded",
        organisation_id=org_id,
        object_type="membership",
        object_id=membership_id,
        after={"name": p.name, "email": p.email, "role": role},
    )


async def ensure_people_and_organisations(report: SeedReport) -> None:
    """The demo people, organisations and memberships (src.demo.state.seed loads the rest)."""
    async with db.transaction():
        person_ids = {p.sub: await _ensure_person(p, report) for p in PEOPLE}
        for org in ORGANISATIONS:
            org_id = await _ensure_organisation(org, report)
            for sub, role in org.members:
                await _ensure_membership(org_id, person_ids[sub], person_by_sub(sub), role, report)


# --- the vendor-admin bootstrap (`portal create-vendor-admin`) ------------------------------


def normalise_personal_identity_number(value: str) -> str:
    """A BSN (9 digits) or a personnummer (10/12 digits, stored as 12)."""
    digits = validation.digits_only(value)
    if len(digits) == 9:
        return validation.bsn(digits)
    if len(digits) not in (10, 12):
        raise ValueError("Give a BSN (9 digits) or a personnummer (10 or 12 digits).")
    return validation.personnummer(digits)


NO_IDENTIFIER_HINT = (
    "\nThis person has no personal identity number yet, so they cannot sign in; run the command again"
    " with --personal-identity-number (the BSN or personnummer their staff e-ID carries)."
)


async def ensure_vendor_admin(email: str, name: str, personal_identity_number: str | None = None) -> str:
    """Create or update the vendor admin with this e-mail address; returns what was done.

    The same e-mail address always means the same person: a second call updates the name
    (and the personal identity number when given) instead of making a new person."""
    email = (email or "").strip().lower()
    name = (name or "").strip()
    if "@" not in email or len(email) > 254 or " " in email:
        raise ValueError(f"{email!r} is not an e-mail address.")
    if not name or len(name) > 200:
        raise ValueError("Give a name of 1 to 200 characters.")
    pin = normalise_personal_identity_number(personal_identity_number) if personal_identity_number else None

    async with db.transaction():
        candidates = await Person.select().where(WhereRaw("lower(email) = {}", email)).order_by(Person.id)
        matches = [c for c in candidates if (c["email"] or "").strip().lower() == email]
        # Prefer an existing vendor admin with this address, else the oldest person who has it.
        person = next((c for c in matches if c["is_vendor_admin"]), matches[0] if matches else None)
        if pin:
            holder = (
                await Person.select(Person.id, Person.email)
                .where(Person.personal_identity_number == pin)
                .first()
            )
            if holder is not None and (person is None or holder["id"] != person["id"]):
                raise ValueError(
                    f"Personal identity number {pin} already belongs to person #{holder['id']} "
                    f"({holder['email'] or 'no e-mail'})."
                )
        if person is None:
            values: dict[str, Any] = {
                "name": name,
                "email": email,
                "personal_identity_number": pin,
                "is_vendor_admin": True,
                "active": True,
            }
            created = await Person.insert(Person(**values)).returning(Person.id)
            person_id = int(created[0]["id"])
            await audit.record(
                CLI_ACTOR,
                "identity.vendor_admin_created",
                organisation_id=None,
                object_type="person",
                object_id=person_id,
                after=values,
            )
            hint = "" if pin else NO_IDENTIFIER_HINT
            return f"Created vendor admin {name} <{email}> (person #{person_id})." + hint

        before = {
            "name": person["name"],
            "is_vendor_admin": person["is_vendor_admin"],
            "active": person["active"],
            "personal_identity_number": person["personal_identity_number"],
        }
        after = {**before, "name": name, "is_vendor_admin": True, "active": True}
        if pin:
            after["personal_identity_number"] = pin
        old, new = audit.changes(before, after)
        hint = "" if after["personal_identity_number"] else NO_IDENTIFIER_HINT
        if not new:
            return (
                f"Vendor admin {name} <{email}> (person #{person['id']}) already exists; nothing changed."
                + hint
            )
        await Person.update(
            {
                Person.name: after["name"],
                Person.is_vendor_admin: True,
                Person.active: True,
                Person.personal_identity_number: after["personal_identity_number"],
            }
        ).where(Person.id == person["id"])
        await audit.record(
            CLI_ACTOR,
            "identity.vendor_admin_updated",
            organisation_id=None,
            object_type="person",
            object_id=person["id"],
            before=old,
            after=new,
        )
        described = ", ".join(f"{k}: {old[k]!r} -> {new[k]!r}" for k in new)
        return f"Updated vendor admin <{email}> (person #{person['id']}): {described}." + hint
