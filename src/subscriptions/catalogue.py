"""The service catalogue of the seeds (rule SUB-1; healthcare services of 002/003, the managed
IT services of 004 §4) and `seed_catalogue()`, which loads it.

`seed_catalogue()` is independent of migrations and idempotent: it adds what is missing (matched
on codes) and never changes what exists, so a vendor admin's later edits survive a second run.
It is called by `portal seed-demo` (src/demo/state.py) and can be called on its own.

The seeds name no prices (except BIL-1, a server certificate costs EUR 450): the monthly prices
here are demonstration figures in integer cents.

A seed data file: most of it is the catalogue itself (`CATALOGUE`), which is why it runs past the
length of the other modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from src.core import audit, db
from src.core.tenancy import Actor
from src.subscriptions.tables import Service, ServiceArea, ServiceModule, ServiceVariant

SEED_ACTOR = Actor(person_id=0, name="catalogue seed")

PROCUREMENT_PORTAL = "procurement_portal"
WEBCERT = "webcert"
UZI_SERVER_CERTIFICATE = "uzi_server_certificate"
CONTRACTING = "contracting"


@dataclass(frozen=True)
class M:
    code: str
    nl: str
    sv: str
    en: str
    signing: bool = False


@dataclass(frozen=True)
class V:
    code: str
    nl: str
    sv: str
    en: str
    monthly: int = 0
    once: int = 0
    unit: str = "subscription"
    upgrade_fee: int = 0
    downgrade_fee: int = 0
    move_fee: int = 0
    tax: str = "standard"


@dataclass(frozen=True)
class S:
    code: str
    nl: str
    sv: str
    en: str
    category: str = "managed_it"
    requires_agreement: bool = True
    eid_sole_proprietors_only: bool = False
    delivered_at_address: bool = False
    modules: tuple[M, ...] = ()
    variants: tuple[V, ...] = field(default_factory=tuple)


def _backup(
    kind_nl: str, kind_sv: str, kind_en: str, prefix: str, sizes: list[tuple[str, int]]
) -> tuple[V, ...]:
    return tuple(
        V(
            f"{prefix}_{size.lower()}",
            f"Hosted online backup {kind_nl} {size}",
            f"Hosted online backup {kind_sv} {size}",
            f"Hosted online backup {kind_en} {size}",
            monthly=price,
        )
        for size, price in sizes
    )


# SUB-5: the one-time fees of business internet, in cents.
INTERNET_UPGRADE_FEE, INTERNET_DOWNGRADE_FEE, INTERNET_MOVE_FEE = 7500, 7200, 15000

# Where business internet is available (SUB-5), as (country, postcode prefix, variant or None
# for every variant). Example areas of the demonstration catalogue: the vendor keeps the real list.
AREAS: tuple[tuple[str, str, str | None], ...] = (
    ("NL", "1", None),
    ("NL", "2", None),
    ("NL", "3", None),
    ("NL", "5", None),
    ("NL", "6", None),
    ("NL", "9", None),
    ("SE", "1", None),
    ("SE", "4", None),
)
AREA_SERVICE = "business_internet"

CATALOGUE: tuple[S, ...] = (
    S(
        PROCUREMENT_PORTAL,
        "Zorginkoopportaal",
        "Vårdinköpsportalen",
        "Care procurement portal",
        category="healthcare",
        modules=(
            M("general", "Algemeen", "Allmänt", "General"),
            M("requests", "Uitvragen", "Förfrågningar", "Requests"),
            M(CONTRACTING, "Contracteren", "Avtalsslutande", "Contracting", signing=True),
            M("negotiation", "Onderhandelen", "Förhandling", "Negotiation"),
            M("compliance", "Naleving", "Efterlevnad", "Compliance"),
        ),
        variants=(V("standard", "Zorginkoopportaal", "Vårdinköpsportalen", "Care procurement portal", 2500),),
    ),
    S(
        WEBCERT,
        "Webcert",
        "Webcert",
        "Webcert",
        category="healthcare",
        eid_sole_proprietors_only=True,
        variants=(V("standalone", "Webcert Fristående", "Webcert Fristående", "Webcert standalone", 9900),),
    ),
    S(
        UZI_SERVER_CERTIFICATE,
        "UZI-servercertificaten",
        "UZI-servercertifikat",
        "UZI server certificates",
        category="healthcare",
        requires_agreement=False,
        variants=(
            V(
                "server_certificate",
                "Servercertificaat",
                "Servercertifikat",
                "Server certificate",
                0,
                45000,
                "certificate",
            ),
        ),
    ),
    S(
        "cloud_office",
        "Cloud Office",
        "Cloud Office",
        "Cloud Office",
        variants=(
            V("mail", "Cloud Office Mail", "Cloud Office Mail", "Cloud Office Mail", 600, unit="user"),
            V(
                "essentials",
                "Cloud Office Essentials",
                "Cloud Office Essentials",
                "Cloud Office Essentials",
                1000,
                unit="user",
            ),
            V(
                "premium",
                "Cloud Office Premium",
                "Cloud Office Premium",
                "Cloud Office Premium",
                1800,
                unit="user",
            ),
        ),
    ),
    S(
        "cloud_hosting",
        "Cloud Hosting",
        "Cloud Hosting",
        "Cloud hosting",
        variants=(
            V(
                "website",
                "Cloud hosting website",
                "Cloud hosting webbplats",
                "Cloud hosting website",
                1500,
                unit="domain",
            ),
            V(
                "alias",
                "Cloud hosting alias",
                "Cloud hosting alias",
                "Cloud hosting alias",
                300,
                unit="domain",
            ),
        ),
    ),
    S(
        "cloud_server",
        "Cloud Server werkplek",
        "Cloud Server arbetsplats",
        "Cloud Server workplace",
        variants=(
            V("base", "Cloud Server base", "Cloud Server bas", "Cloud Server base", 9500),
            V(
                "user",
                "Cloud Server user",
                "Cloud Server användare",
                "Cloud Server user",
                3500,
                unit="workplace",
            ),
        ),
    ),
    S(
        "business_internet",
        "Zakelijk internet",
        "Företagsinternet",
        "Business internet",
        delivered_at_address=True,
        variants=(
            V(
                "adsl",
                "Zakelijk internet aDSL",
                "Företagsinternet aDSL",
                "Business internet aDSL",
                3500,
                unit="connection",
                upgrade_fee=INTERNET_UPGRADE_FEE,
                downgrade_fee=INTERNET_DOWNGRADE_FEE,
                move_fee=INTERNET_MOVE_FEE,
            ),
            V(
                "vdsl_a",
                "Zakelijk internet vDSL-A 30/3",
                "Företagsinternet vDSL-A 30/3",
                "Business internet vDSL-A 30/3",
                4500,
                unit="connection",
                upgrade_fee=INTERNET_UPGRADE_FEE,
                downgrade_fee=INTERNET_DOWNGRADE_FEE,
                move_fee=INTERNET_MOVE_FEE,
            ),
            V(
                "vdsl_b",
                "Zakelijk internet vDSL-B 50/10",
                "Företagsinternet vDSL-B 50/10",
                "Business internet vDSL-B 50/10",
                5500,
                unit="connection",
                upgrade_fee=INTERNET_UPGRADE_FEE,
                downgrade_fee=INTERNET_DOWNGRADE_FEE,
                move_fee=INTERNET_MOVE_FEE,
            ),
            V(
                "vdsl_c",
                "Zakelijk internet vDSL-C 100/20",
                "Företagsinternet vDSL-C 100/20",
                "Business internet vDSL-C 100/20",
                6500,
                unit="connection",
                upgrade_fee=INTERNET_UPGRADE_FEE,
                downgrade_fee=INTERNET_DOWNGRADE_FEE,
                move_fee=INTERNET_MOVE_FEE,
            ),
            V(
                "fibre",
                "Zakelijk internet glasvezel",
                "Företagsinternet fiber",
                "Business internet fibre",
                8500,
                unit="connection",
                upgrade_fee=INTERNET_UPGRADE_FEE,
                downgrade_fee=INTERNET_DOWNGRADE_FEE,
                move_fee=INTERNET_MOVE_FEE,
            ),
        ),
    ),
    S(
        "mail_filter",
        "Managed mailfilter",
        "Hanterat e-postfilter",
        "Managed mail filter",
        variants=(
            V(
                "standard",
                "Managed mailfilter",
                "Hanterat e-postfilter",
                "Managed mail filter",
                2000,
                unit="domain",
            ),
        ),
    ),
    S(
        "managed_backup",
        "Managed backup",
        "Hanterad backup",
        "Managed backup",
        variants=(
            *_backup(
                "server",
                "server",
                "server",
                "server",
                [("50GB", 1500), ("250GB", 3500), ("500GB", 5500), ("750GB", 7500), ("1TB", 9500)],
            ),
            *_backup(
                "werkstation",
                "arbetsstation",
                "workstation",
                "workstation",
                [
                    ("50GB", 800),
                    ("100GB", 1200),
                    ("250GB", 2000),
                    ("500GB", 3500),
                    ("750GB", 5000),
                    ("1TB", 6500),
                ],
            ),
        ),
    ),
    S(
        "managed_firewall",
        "Managed Firewall",
        "Hanterad brandvägg",
        "Managed firewall",
        variants=(
            V(
                "device",
                "Managed Firewall per device",
                "Hanterad brandvägg per enhet",
                "Managed firewall per device",
                3000,
                unit="device",
            ),
        ),
    ),
    S(
        "managed_wifi",
        "Managed WiFi accesspoint",
        "Hanterad WiFi-åtkomstpunkt",
        "Managed Wi-Fi access point",
        variants=(
            V(
                "device",
                "Managed WiFi accesspoint per device",
                "Hanterad WiFi-åtkomstpunkt per enhet",
                "Managed Wi-Fi access point per device",
                1500,
                unit="device",
            ),
        ),
    ),
    S(
        "server_monitoring",
        "Managed Server monitoring",
        "Hanterad serverövervakning",
        "Managed server monitoring",
        variants=(
            V(
                "server",
                "Managed Server monitoring",
                "Hanterad serverövervakning",
                "Managed server monitoring",
                2500,
                unit="device",
            ),
        ),
    ),
    S(
        "sla",
        "SLA – Service Level Agreement",
        "SLA – servicenivåavtal",
        "SLA – service level agreement",
        variants=(V("standard", "SLA", "SLA", "SLA", 15000),),
    ),
    S(
        "voip_3cx",
        "VoIP 3cx",
        "VoIP 3cx",
        "VoIP 3CX",
        variants=(V("user", "VoIP 3cx gebruiker", "VoIP 3cx användare", "VoIP 3CX user", 1200, unit="user"),),
    ),
    S(
        "voip_broadsoft",
        "VoIP Broadsoft",
        "VoIP Broadsoft",
        "VoIP Broadsoft",
        variants=(
            V("number", "VoIP Telefoonnummer", "VoIP telefonnummer", "VoIP number", 200, unit="number"),
            V(
                "user_business",
                "VoIP Broadsoft user business",
                "VoIP Broadsoft användare business",
                "VoIP Broadsoft user business",
                900,
                unit="user",
            ),
            V(
                "user_business_unlimited",
                "VoIP Broadsoft user business onbeperkt",
                "VoIP Broadsoft användare business obegränsad",
                "VoIP Broadsoft user business unlimited",
                1900,
                unit="user",
            ),
            V(
                "voicemail",
                "VoIP Broadsoft user voicemail",
                "VoIP Broadsoft röstbrevlåda",
                "VoIP Broadsoft user voicemail",
                200,
                unit="user",
            ),
            V(
                "call_forward_selective",
                "VoIP Broadsoft call forward-selective",
                "VoIP Broadsoft selektiv vidarekoppling",
                "VoIP Broadsoft call forward-selective",
                100,
                unit="user",
            ),
        ),
    ),
)


@dataclass
class CatalogueReport:
    services: int = 0
    modules: int = 0
    variants: int = 0
    areas: int = 0

    @property
    def anything_created(self) -> bool:
        return bool(self.services or self.modules or self.variants or self.areas)


async def seed_catalogue(actor: Actor = SEED_ACTOR) -> CatalogueReport:
    """Add the catalogue's missing services, modules and variants; a second run adds nothing."""
    report = CatalogueReport()
    async with db.transaction():
        for position, s in enumerate(CATALOGUE):
            service = await Service.select(Service.id).where(Service.code == s.code).first()
            if service is None:
                created = await Service.insert(
                    Service(
                        code=s.code,
                        category=s.category,
                        name_nl=s.nl,
                        name_sv=s.sv,
                        name_en=s.en,
                        requires_agreement=s.requires_agreement,
                        eid_sole_proprietors_only=s.eid_sole_proprietors_only,
                        delivered_at_address=s.delivered_at_address,
                        position=position,
                    )
                ).returning(Service.id)
                service_id = int(created[0]["id"])
                report.services += 1
                await audit.record(
                    actor,
                    "subscriptions.service_seeded",
                    organisation_id=None,
                    object_type="service",
                    object_id=service_id,
                    after={"code": s.code},
                )
            else:
                service_id = int(service["id"])
            for m_position, m in enumerate(s.modules):
                if (
                    not await ServiceModule.exists()
                    .where(ServiceModule.service == service_id)
                    .where(ServiceModule.code == m.code)
                ):
                    await ServiceModule.insert(
                        ServiceModule(
                            service=service_id,
                            code=m.code,
                            name_nl=m.nl,
                            name_sv=m.sv,
                            name_en=m.en,
                            has_signing_rights=m.signing,
                            position=m_position,
                        )
                    )
                    report.modules += 1
            for v_position, v in enumerate(s.variants):
                if (
                    not await ServiceVariant.exists()
                    .where(ServiceVariant.service == service_id)
                    .where(ServiceVariant.code == v.code)
                ):
                    await ServiceVariant.insert(
                        ServiceVariant(
                            service=service_id,
                            code=v.code,
                            name_nl=v.nl,
                            name_sv=v.sv,
                            name_en=v.en,
                            monthly_price_cents=v.monthly,
                            one_time_price_cents=v.once,
                            currency="EUR",
                            unit=v.unit,
                            tax_category=v.tax,
                            upgrade_fee_cents=v.upgrade_fee,
                            downgrade_fee_cents=v.downgrade_fee,
                            move_fee_cents=v.move_fee,
                            position=v_position,
                        )
                    )
                    report.variants += 1
        await _seed_areas(report)
    return report


async def _seed_areas(report: CatalogueReport) -> None:
    service = await Service.select(Service.id).where(Service.code == AREA_SERVICE).first()
    if service is None:
        return
    for country, prefix, variant_code in AREAS:
        variant = None
        if variant_code is not None:
            found = (
                await ServiceVariant.select(ServiceVariant.id)
                .where(ServiceVariant.code == variant_code)
                .first()
            )
            variant = found["id"] if found else None
        exists = (
            await ServiceArea.exists()
            .where(ServiceArea.service == service["id"])
            .where(ServiceArea.country == country)
            .where(ServiceArea.postcode_prefix == prefix)
            .where(ServiceArea.variant.is_null() if variant is None else ServiceArea.variant == variant)
        )
        if not exists:
            await ServiceArea.insert(
                ServiceArea(service=service["id"], variant=variant, country=country, postcode_prefix=prefix)
            )
            report.areas += 1


def localised_name(row: dict[str, Any], locale: str, prefix: str = "") -> str:
    """The row's name in the reader's language (English when that one is empty)."""
    return str(row.get(f"{prefix}name_{locale}") or row.get(f"{prefix}name_en") or "")
