"""What the demo organisations have signed, subscribed to and granted, so that every page of the
product has something to show after `make run`.

- The customer agreement (rules AG-1, AG-9): one published version of the general terms, the
  processor agreement and the service descriptions, in Dutch, Swedish and English.
- The legacy terms of the procurement portal end (rules AG-2, AG-3, AG-5): announced on the day
  the demo is first loaded, with the usual six months' notice, so an organisation without
  agreement or subscription sees the banner.
- Zorggroep De Linde B.V. has signed (by a contact person authorised to sign), subscribes to the
  procurement portal (all five modules) and UZI server certificates, and its users hold module
  rights, one of them the signing right in the contracting module (rules MOD-1, MOD-2).
- Ingrid Lindqvist Fysioterapi (enskild firma) has signed and subscribes to Webcert, the service
  offered with personal e-ID sign-in only to sole proprietorships (rule AG-4).
- Vårdcentralen Björken AB has not signed yet: its contact person is authorised to sign and finds
  the documents waiting, and its people see the banner.

Everything goes through the services, so the audit log records it; vendor-admin steps act as the
demo data's actor. Each part is added only where the organisation has none of it yet (no
agreement signed, no subscription, no module right, no document of a kind, no notice), so a
second run changes nothing and later changes made in the running demo are kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from src.core import clock, db
from src.core.i18n import current_locale, language_of
from src.demo import rows
from src.demo.people import (
    DEMO_ACTOR,
    SeedReport,
    check_demo_identifiers,
    ensure_people_and_organisations,
    person_by_sub,
)
from src.identity.auth import build_actor
from src.subscriptions.catalogue import (
    AREA_SERVICE,
    CONTRACTING,
    PROCUREMENT_PORTAL,
    UZI_SERVER_CERTIFICATE,
    WEBCERT,
    seed_catalogue,
)
from src.subscriptions.services import changes, ordering, pricing, terms
from src.tenants.services import (
    agreement_documents,
    agreements,
    legacy_terms,
    rights,
    user_changes,
)
from src.tenants.tables import (
    AgreementDocument,
    LegacyTermsNotice,
    Organisation,
    Person,
)


@dataclass(frozen=True)
class DemoDocument:
    kind: str
    titles: dict[str, str]
    texts: dict[str, str]


DOCUMENTS: tuple[DemoDocument, ...] = (
    DemoDocument(
        "general_terms",
        {"nl": "Algemene voorwaarden", "sv": "Allmänna villkor", "en": "General terms"},
        {
            "nl": (
                "1. Deze voorwaarden gelden voor elke aanbieding van en elke overeenkomst met de "
                "leverancier. Op de overeenkomst is Nederlands recht van toepassing.\n"
                "2. Aanbiedingen zijn vrijblijvend totdat de klant ze schriftelijk heeft aanvaard. "
                "Inkoopvoorwaarden van de klant zijn nooit van toepassing.\n"
                "3. De overeenkomst omvat deze voorwaarden, de verwerkersovereenkomst en de "
                "dienstbeschrijvingen.\n"
                "4. De aansprakelijkheid van de leverancier is beperkt tot het gefactureerde bedrag. "
                "De leverancier is niet aansprakelijk voor verlies van gegevens.\n"
                "5. Een geschil meldt de klant schriftelijk. De leverancier kiest binnen 14 dagen de "
                "bevoegde rechter; doet hij dat niet, dan mag de klant kiezen."
            ),
            "sv": (
                "1. Dessa villkor gäller för varje erbjudande från och varje avtal med leverantören. "
                "Nederländsk rätt tillämpas på avtalet.\n"
                "2. Erbjudanden är inte bindande förrän kunden har antagit dem skriftligen. Kundens "
                "egna inköpsvillkor gäller aldrig.\n"
                "3. Avtalet omfattar dessa villkor, personuppgiftsbiträdesavtalet och "
                "tjänstebeskrivningarna.\n"
                "4. Leverantörens ansvar är begränsat till det fakturerade beloppet. Leverantören "
                "ansvarar inte för förlust av data.\n"
                "5. En tvist anmäler kunden skriftligen. Leverantören väljer domstol inom 14 dagar; "
                "gör leverantören inte det får kunden välja."
            ),
            "en": (
                "1. These terms apply to every offer from and every agreement with the vendor. Dutch "
                "law applies to the agreement.\n"
                "2. Offers are not binding until the customer has accepted them in writing. The "
                "customer's own purchase conditions never apply.\n"
                "3. The agreement consists of these terms, the processor agreement and the service "
                "descriptions.\n"
                "4. The vendor's liability is limited to the amount invoiced. The vendor is not "
                "liable for loss of data.\n"
                "5. The customer states a dispute in writing. The vendor chooses the competent court "
                "within 14 days; if it does not, the customer may choose."
            ),
        },
    ),
    DemoDocument(
        "processor_agreement",
        {"nl": "Verwerkersovereenkomst", "sv": "Personuppgiftsbiträdesavtal", "en": "Processor agreement"},
        {
            "nl": (
                "1. De klant is verwerkingsverantwoordelijke; de leverancier verwerkt "
                "persoonsgegevens uitsluitend in opdracht en volgens de schriftelijke instructies "
                "van de klant.\n"
                "2. De leverancier neemt passende technische en organisatorische maatregelen en "
                "meldt een datalek zonder onredelijke vertraging.\n"
                "3. Na afloop van de overeenkomst kan de klant zijn gegevens exporteren; daarna "
                "verwijdert de leverancier ze."
            ),
            "sv": (
                "1. Kunden är personuppgiftsansvarig; leverantören behandlar personuppgifter endast "
                "för kundens räkning och enligt kundens skriftliga instruktioner.\n"
                "2. Leverantören vidtar lämpliga tekniska och organisatoriska åtgärder och anmäler "
                "en personuppgiftsincident utan onödigt dröjsmål.\n"
                "3. När avtalet upphör kan kunden exportera sina uppgifter; därefter raderar "
                "leverantören dem."
            ),
            "en": (
                "1. The customer is the data controller; the vendor processes personal data only on "
                "the customer's behalf and according to the customer's written instructions.\n"
                "2. The vendor takes appropriate technical and organisational measures and reports a "
                "personal data breach without undue delay.\n"
                "3. When the agreement ends the customer can export its data; the vendor then "
                "deletes it."
            ),
        },
    ),
    DemoDocument(
        "service_terms",
        {"nl": "Dienstbeschrijvingen", "sv": "Tjänstebeskrivningar", "en": "Service descriptions"},
        {
            "nl": (
                "Zorginkoopportaal: de modules Algemeen, Uitvragen, Contracteren (met tekenrechten), "
                "Onderhandelen en Naleving; rechten per gebruiker per module.\n"
                "Webcert: medische intyg opstellen en lezen.\n"
                "UZI-servercertificaten: drie jaar geldig, EUR 450 per certificaat.\n"
                "Upgraden kan op elk moment; downgraden en opzeggen met een opzegtermijn van drie "
                "maanden."
            ),
            "sv": (
                "Vårdinköpsportalen: modulerna Allmänt, Förfrågningar, Avtalsslutande (med "
                "teckningsrätt), Förhandling och Efterlevnad; behörighet per användare och modul.\n"
                "Webcert: utfärda och läsa medicinska intyg.\n"
                "UZI-servercertifikat: giltiga i tre år, 450 EUR per certifikat.\n"
                "Uppgradering är möjlig när som helst; nedgradering och uppsägning med tre månaders "
                "uppsägningstid."
            ),
            "en": (
                "Care procurement portal: the modules General, Requests, Contracting (with signing "
                "rights), Negotiation and Compliance; rights per user per module.\n"
                "Webcert: issuing and reading medical certificates.\n"
                "UZI server certificates: valid for three years, EUR 450 per certificate.\n"
                "Upgrading is possible at any moment; downgrading and cancelling with a notice "
                "period of three months."
            ),
        },
    ),
)

DOCUMENT_NOTICE_MONTHS = 3  # the accept-by date of the documents, counted from their effective date
LEGACY_END_SERVICE = PROCUREMENT_PORTAL


@dataclass(frozen=True)
class DemoUse:
    """What one demo organisation (by KvK number or organisationsnummer) has."""

    identifier: str
    signer: str  # the subject of the contact person authorised to sign the customer agreement
    signed: bool
    subscriptions: tuple[tuple[str, str], ...] = ()  # (service code, variant code)
    cancelled: tuple[str, ...] = ()  # service codes whose subscription is cancelled under notice
    rights: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (subject, procurement portal modules)
    signing_right: str | None = None  # the subject holding the contracting module's signing right


USES: tuple[DemoUse, ...] = (
    DemoUse(
        "30276841",  # Zorggroep De Linde B.V.
        signer="eva.janssen",
        signed=True,
        subscriptions=(
            (PROCUREMENT_PORTAL, "standard"),
            (UZI_SERVER_CERTIFICATE, "server_certificate"),
            (AREA_SERVICE, "vdsl_b"),
        ),
        cancelled=(AREA_SERVICE,),
        rights=(
            ("eva.janssen", ("general", CONTRACTING)),
            ("pieter.devries", ("general", "requests", "negotiation")),
            ("sanne.bakker", ("general", "requests")),
            ("daan.visser", ("general", CONTRACTING, "negotiation")),
            ("lotte.smit", ("general", "compliance")),
            ("thijs.meijer", ("general",)),
        ),
        signing_right="eva.janssen",
    ),
    DemoUse(
        "197604122387",  # Ingrid Lindqvist Fysioterapi (enskild firma)
        signer="ingrid.lindqvist",
        signed=True,
        subscriptions=((WEBCERT, "standalone"),),
    ),
    DemoUse(
        "5567812341",  # Vårdcentralen Björken AB: not signed yet
        signer="karin.johansson",
        signed=False,
    ),
)


# A new price announced the day the demo is loaded, in force four months later (rule SUB-4).
PRICE_CHANGE = (PROCUREMENT_PORTAL, "standard", 2750)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def seed_state(report: SeedReport) -> None:
    """Publish the agreement, announce the legacy terms' end, and give each demo organisation its
    agreement, subscriptions and rights; only what is missing (see the module's docstring)."""
    admin = replace(DEMO_ACTOR, is_vendor_admin=True)
    async with db.transaction():
        await _publish_documents(admin, report)
        await _announce_legacy_end(admin, report)
        for use in USES:
            organisation = (
                await Organisation.select(Organisation.id, Organisation.country)
                .where(
                    (Organisation.kvk_number == use.identifier) | (Organisation.org_number == use.identifier)
                )
                .first()
            )
            if organisation is None:
                continue
            await _agreement(admin, organisation, use, report)
            await _subscriptions(admin, organisation["id"], use, report)
            await _cancellations(admin, organisation["id"], use, report)
            await _rights(admin, organisation["id"], use, report)
        await _announce_price_change(admin, report)


async def _publish_documents(admin: Any, report: SeedReport) -> None:
    today = _today()
    for document in DOCUMENTS:
        if await AgreementDocument.exists().where(AgreementDocument.kind == document.kind):
            continue
        await agreement_documents.publish_document(
            admin,
            kind=document.kind,
            titles=document.titles,
            texts=document.texts,
            effective_on=today,
            accept_by=legacy_terms.add_months(today, DOCUMENT_NOTICE_MONTHS),
        )
        report.documents_published += 1


async def _announce_legacy_end(admin: Any, report: SeedReport) -> None:
    if await LegacyTermsNotice.exists().where(LegacyTermsNotice.service_code == LEGACY_END_SERVICE):
        return
    await legacy_terms.announce_legacy_end(admin, service_code=LEGACY_END_SERVICE, announced_on=_today())
    report.notices_announced += 1


async def _membership(organisation_id: int, sub: str) -> dict[str, Any] | None:
    person = person_by_sub(sub)
    found = (
        Person.personal_identity_number == person.personal_identity_number
        if person.personal_identity_number
        else Person.card_id == person.card_id
    )
    row = await Person.select(Person.id).where(found).first()
    if row is None:
        return None
    return await rows.membership_of(organisation_id, row["id"])


async def _agreement(admin: Any, organisation: dict[str, Any], use: DemoUse, report: SeedReport) -> None:
    """Authorise the signer and, where the organisation has signed, sign as that contact person."""
    organisation_id = organisation["id"]
    if await rows.has_signed(organisation_id):
        return
    signer = await _membership(organisation_id, use.signer)
    if signer is None:
        return
    anyone_authorised = await rows.anyone_may_sign(organisation_id)
    if not anyone_authorised:
        await user_changes.update_user(admin, organisation_id, signer["id"], may_sign_agreements=True)
        report.signers_authorised += 1
    elif not signer["may_sign_agreements"]:
        return  # someone else signs for this organisation now
    if not use.signed:
        return
    actor = await build_actor(signer["person"], organisation_id, "")
    if actor is None:
        return
    token = current_locale.set(language_of(organisation["country"]))
    try:
        await agreements.sign(actor, organisation_id)
    finally:
        current_locale.reset(token)
    report.agreements_signed += 1


async def _subscriptions(admin: Any, organisation_id: int, use: DemoUse, report: SeedReport) -> None:
    if not use.subscriptions:
        return
    if await rows.has_subscriptions(organisation_id):
        return
    for service, variant in use.subscriptions:
        await ordering.order(admin, organisation_id, service=service, variant=variant)
        report.subscriptions_created += 1


async def _cancellations(admin: Any, organisation_id: int, use: DemoUse, report: SeedReport) -> None:
    for service in use.cancelled:
        subscription_id = await rows.subscription_without_changes(organisation_id, service)
        if subscription_id is not None:
            await changes.change(admin, organisation_id, subscription_id, kind="cancel")
            report.changes_scheduled += 1


async def _announce_price_change(admin: Any, report: SeedReport) -> None:
    service, variant_code, cents = PRICE_CHANGE
    variant = await pricing.variant_by_codes(service, variant_code)
    if await pricing.has_changes(variant["id"]):
        return
    await pricing.schedule(admin, variant["id"], cents, terms.earliest_price_change(clock.today()))
    report.price_changes_announced += 1


async def _rights(admin: Any, organisation_id: int, use: DemoUse, report: SeedReport) -> None:
    if not use.rights:
        return
    if await rows.has_rights(organisation_id):
        return
    for sub, modules in use.rights:
        membership = await _membership(organisation_id, sub)
        if membership is None:
            continue
        wanted = [
            {
                "service": PROCUREMENT_PORTAL,
                "module": module,
                "signing": module == CONTRACTING and sub == use.signing_right,
            }
            for module in modules
        ]
        granted = await rights.replace_rights(admin, organisation_id, membership["id"], wanted)
        report.rights_granted += len(granted)


async def seed() -> SeedReport:
    """Load the demo data; a second run finds everything present and writes nothing."""
    check_demo_identifiers()
    report = SeedReport()
    await ensure_people_and_organisations(report)
    # The service catalogue (idempotent; src/subscriptions/catalogue.py).
    await seed_catalogue()
    # Agreement, subscriptions and rights, through the services.
    await seed_state(report)
    return report
