"""Business internet is ordered and moved only where it is available (rule SUB-5)."""

from __future__ import annotations

from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import areas
from src.subscriptions.tables import Service, ServiceArea, ServiceVariant


async def internet() -> tuple[dict, dict]:
    await seed_catalogue()
    service = await Service.select().where(Service.code == "business_internet").first()
    fibre = await ServiceVariant.select().where(ServiceVariant.code == "fibre").first()
    return service, fibre


async def test_a_postcode_inside_an_area_is_served_and_one_outside_is_refused_with_the_reason():
    # rule SUB-5
    service, fibre = await internet()
    assert await areas.unavailable_reason(service, fibre["id"], "NL", "1011 ab") is None
    assert await areas.unavailable_reason(service, fibre["id"], "SE", "114 55") is None
    reason = await areas.unavailable_reason(service, fibre["id"], "NL", "8011 AB")
    assert reason == "Business internet is not available at postcode 8011 AB."
    assert (
        await areas.unavailable_reason(service, fibre["id"], "NL", "") == "Give the postcode of the address."
    )


async def test_an_area_for_one_variant_serves_only_that_variant():
    service, fibre = await internet()
    adsl = await ServiceVariant.select().where(ServiceVariant.code == "adsl").first()
    await ServiceArea.insert(
        ServiceArea(service=service["id"], variant=fibre["id"], country="NL", postcode_prefix="80")
    )
    assert await areas.unavailable_reason(service, fibre["id"], "NL", "8011AB") is None
    assert await areas.unavailable_reason(service, adsl["id"], "NL", "8011AB") is not None


async def test_an_inactive_area_serves_nobody():
    service, fibre = await internet()
    await ServiceArea.update({ServiceArea.active: False}).where(ServiceArea.postcode_prefix == "1")
    assert await areas.unavailable_reason(service, fibre["id"], "NL", "1011AB") is not None


async def test_a_service_not_delivered_at_an_address_is_available_everywhere():
    await seed_catalogue()
    mail = await Service.select().where(Service.code == "mail_filter").first()
    assert await areas.unavailable_reason(mail, 0, "NL", "") is None


async def test_business_internet_carries_its_one_time_fees():
    # rule SUB-5: upgrade EUR 75, move EUR 150, downgrade EUR 72
    _service, fibre = await internet()
    assert (fibre["upgrade_fee_cents"], fibre["move_fee_cents"], fibre["downgrade_fee_cents"]) == (
        7500,
        15000,
        7200,
    )
    assert fibre["notice_months"] == 3
