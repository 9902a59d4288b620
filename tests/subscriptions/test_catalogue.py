"""The service catalogue (rule SUB-1, MOD-1) and its idempotent seeding."""

from __future__ import annotations

from src import demo
from src.core.tables import AuditEntry
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.tables import Service, ServiceModule, ServiceVariant
from tests import factories
from tests.subscriptions.support import bearer_for


async def test_seeding_the_catalogue_twice_adds_nothing_the_second_time():
    # rule SUB-1
    first = await seed_catalogue()
    counts = (await Service.count(), await ServiceModule.count(), await ServiceVariant.count())
    second = await seed_catalogue()
    assert first.anything_created and not second.anything_created
    assert (await Service.count(), await ServiceModule.count(), await ServiceVariant.count()) == counts


async def test_a_second_seed_keeps_a_price_a_vendor_admin_changed():
    await seed_catalogue()
    await ServiceVariant.update({ServiceVariant.monthly_price_cents: 1234}).where(
        ServiceVariant.code == "fibre"
    )
    await seed_catalogue()
    row = await ServiceVariant.select().where(ServiceVariant.code == "fibre").first()
    assert row["monthly_price_cents"] == 1234


async def test_the_demo_seed_loads_the_catalogue():
    await demo.seed()
    assert await Service.exists().where(Service.code == "webcert")
    audit_before = await AuditEntry.count()
    await demo.seed()
    assert await AuditEntry.count() == audit_before


async def test_the_catalogue_api_lists_services_with_modules_and_variants(client):
    # rule SUB-1, rule MOD-1
    await seed_catalogue()
    org = await factories.organisation()
    user = await factories.member(org)
    answer = await client.get("/api/v1/services", headers=await bearer_for(user["person"], org["id"]))
    assert answer.status_code == 200
    services = {s["code"]: s for s in answer.json()}
    portal = services["procurement_portal"]
    assert [m["code"] for m in portal["modules"]] == [
        "general",
        "requests",
        "contracting",
        "negotiation",
        "compliance",
    ]
    assert [m["code"] for m in portal["modules"] if m["has_signing_rights"]] == ["contracting"]
    assert services["webcert"]["eid_sole_proprietors_only"] is True  # rule AG-4
    assert services["webcert"]["requires_agreement"] is True  # rule AG-1
    certificate = services["uzi_server_certificate"]["variants"][0]
    assert certificate["one_time_price_cents"] == 45000  # rule BIL-1
    assert {v["code"] for v in services["business_internet"]["variants"]} == {
        "adsl",
        "vdsl_a",
        "vdsl_b",
        "vdsl_c",
        "fibre",
    }
    assert {v["code"] for v in services["cloud_server"]["variants"]} == {"base", "user"}
    assert len(services["managed_backup"]["variants"]) == 11
    assert len(services["voip_broadsoft"]["variants"]) == 5
    assert portal["names"]["nl"] == "Zorginkoopportaal"
    # rules SUB-1, SUB-3, SUB-5: tax category, notice period and one-time fees per kind of change
    fibre = next(v for v in services["business_internet"]["variants"] if v["code"] == "fibre")
    assert fibre["tax_category"] == "standard" and fibre["notice_months"] == 3
    assert fibre["one_time_fees"] == {"upgrade": 7500, "downgrade": 7200, "move": 15000}
    assert certificate["one_time_fees"] == {}  # no change costs anything there


async def test_the_catalogue_api_needs_a_token(client):
    answer = await client.get("/api/v1/services")
    assert answer.status_code == 401
