"""The vendor admins' catalogue editor (rule SUB-1): services and variants are added, changed,
deactivated and reactivated, each with an audit row and its history shown; the price of a
variant in use changes only through an announced price change (SUB-4)."""

from __future__ import annotations

import datetime as dt

import pytest

from src.core import clock
from src.core.tables import AuditEntry
from src.subscriptions.catalogue import seed_catalogue
from src.subscriptions.services import catalogue_admin, subscriptions
from src.subscriptions.tables import Service, ServiceVariant, Subscription
from tests import factories
from tests.signed_in import sign_in_person
from tests.support import text_of

SERVICE = {
    "code": "cloud_storage",
    "name_nl": "Cloudopslag",
    "name_sv": "Molnlagring",
    "name_en": "Cloud storage",
    "category": "managed_it",
    "upgrade_any_time": "on",
    "downgrade_with_notice": "on",
    "position": "30",
}
VARIANT = {
    "code": "tier_100",
    "name_nl": "Opslag 100 GB",
    "name_sv": "Lagring 100 GB",
    "name_en": "Storage 100 GB",
    "unit": "subscription",
    "monthly_price": "12,50",
    "currency": "EUR",
    "tax_category": "standard",
    "notice_months": "3",
    "upgrade_fee": "",
    "downgrade_fee": "0",
    "move_fee": "150.00",
    "position": "1",
}


@pytest.fixture(autouse=True)
def on_the_tenth_of_january(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC))


async def post(client, url: str, data: dict, follow: bool = False):
    return await client.post_form(url, data, follow_redirects=follow)


async def as_admin(client):
    admin = await factories.vendor_admin()
    await sign_in_person(client, admin, provider="staff")
    return admin


async def add_service_and_variant(client) -> tuple[dict, dict]:
    added = await post(client, "/admin/catalogue", SERVICE)
    assert added.status_code == 303, added.text
    service = await Service.select().where(Service.code == "cloud_storage").first()
    assert added.headers["location"] == f"/admin/catalogue/services/{service['id']}"
    made = await post(client, f"/admin/catalogue/services/{service['id']}/variants", VARIANT)
    assert made.status_code == 303, made.text
    variant = await ServiceVariant.select().where(ServiceVariant.code == "tier_100").first()
    return service, variant


async def test_a_vendor_admin_adds_a_service_and_a_variant_with_audit_rows_and_history(client):
    await as_admin(client)
    service, variant = await add_service_and_variant(client)
    assert (
        service["name_sv"] == "Molnlagring"
        and service["upgrade_any_time"]
        and not service["requires_agreement"]
    )
    assert variant["service"] == service["id"]
    assert variant["monthly_price_cents"] == 1250 and variant["move_fee_cents"] == 15000
    assert variant["upgrade_fee_cents"] == 0 and variant["unit"] == "subscription"
    actions = [r["action"] for r in await AuditEntry.select().order_by(AuditEntry.id)]
    assert actions[-2:] == ["subscriptions.service_added", "subscriptions.variant_added"]

    page = text_of((await client.get(f"/admin/catalogue/variants/{variant['id']}")).text)
    assert "Storage 100 GB" in page and "Variant added" in page and "Move fee : €150.00" in page
    listed = text_of((await client.get("/admin/catalogue")).text)
    assert "Cloud storage" in listed and "Storage 100 GB — €12.50 per organisation" in listed


async def test_editing_and_deactivating_are_audited_and_shown_in_the_history(client):
    await as_admin(client)
    service, variant = await add_service_and_variant(client)
    url = f"/admin/catalogue/variants/{variant['id']}"

    changed = await post(client, url, {**VARIANT, "name_en": "Storage tier 100 GB", "monthly_price": "14"})
    assert changed.status_code == 303
    row = await ServiceVariant.select().where(ServiceVariant.id == variant["id"]).first()
    assert row["name_en"] == "Storage tier 100 GB" and row["monthly_price_cents"] == 1400
    entry = await AuditEntry.select().where(AuditEntry.action == "subscriptions.variant_changed").first()
    assert entry["object_type"] == "service_variant" and entry["object_id"] == str(variant["id"])

    off = await post(client, f"{url}/active", {"active": "no"}, follow=True)
    assert "The variant is no longer offered." in text_of(off.text)
    assert not (await ServiceVariant.select().where(ServiceVariant.id == variant["id"]).first())["active"]
    history = text_of((await client.get(url)).text)
    assert "Variant deactivated" in history
    assert "Name in English : Storage 100 GB → Storage tier 100 GB" in history
    assert "Monthly price : €12.50 → €14.00" in history
    # a deactivated variant is no longer offered for ordering, but stays in the editor
    codes = [v["code"] for s in await subscriptions.catalogue() for v in s["variants"]]
    assert "tier_100" not in codes
    await post(client, f"{url}/active", {"active": "yes"})
    assert "Variant reactivated" in text_of((await client.get(url)).text)

    svc = f"/admin/catalogue/services/{service['id']}"
    await post(client, svc, {**SERVICE, "name_nl": "Cloud-opslag", "requires_agreement": "on"})
    await post(client, f"{svc}/active", {"active": "no"})
    shown = text_of((await client.get(svc)).text)
    assert "Service deactivated" in shown and "Service changed" in shown and "Service added" in shown
    assert "Name in Dutch : Cloudopslag → Cloud-opslag" in shown
    assert "Requires an agreement : No → Yes" in shown


async def test_the_price_of_a_variant_in_use_changes_only_through_a_price_change(client):
    await seed_catalogue()
    await as_admin(client)
    variant = await ServiceVariant.select().where(ServiceVariant.code == "fibre").first()
    org = await factories.organisation()
    await Subscription.insert(
        Subscription(
            organisation=org["id"],
            service=variant["service"],
            variant=variant["id"],
            starts_on=dt.date(2026, 6, 1),
            price_cents=variant["monthly_price_cents"],
        )
    )
    url = f"/admin/catalogue/variants/{variant['id']}"
    page = await client.get(url)
    assert 'name="monthly_price"' not in page.text
    assert f"/admin/price-changes?variant={variant['id']}" in page.text
    values = catalogue_admin.variant_values(variant)
    audits = await AuditEntry.count()

    refused = await post(client, url, {**values, "monthly_price": "1.00"})
    assert refused.status_code == 422
    assert "announce a new price on the price changes page" in text_of(refused.text)
    assert 'id="f-monthly_price-error"' in refused.text
    assert (await ServiceVariant.select().where(ServiceVariant.id == variant["id"]).first()) == variant
    assert await AuditEntry.count() == audits

    # its other fields may change (the price left out, as the form sends it)
    del values["monthly_price"]
    saved = await post(client, url, {**values, "name_en": "Business fibre"})
    assert saved.status_code == 303
    row = await ServiceVariant.select().where(ServiceVariant.id == variant["id"]).first()
    assert row["name_en"] == "Business fibre" and row["monthly_price_cents"] == variant["monthly_price_cents"]


async def test_an_unused_variant_has_its_price_edited_directly(client):
    await as_admin(client)
    _service, variant = await add_service_and_variant(client)
    url = f"/admin/catalogue/variants/{variant['id']}"
    assert 'name="monthly_price"' in (await client.get(url)).text
    answer = await post(client, url, {**VARIANT, "monthly_price": "9.95"})
    assert answer.status_code == 303
    assert (await ServiceVariant.select().where(ServiceVariant.id == variant["id"]).first())[
        "monthly_price_cents"
    ] == 995


async def test_duplicate_codes_are_refused_naming_the_code(client):
    await as_admin(client)
    service, _variant = await add_service_and_variant(client)
    audits = await AuditEntry.count()
    again = await post(client, "/admin/catalogue", SERVICE)
    assert again.status_code == 422
    assert "Another service has this code already." in text_of(again.text)
    assert 'id="f-code-error"' in again.text
    twice = await post(client, f"/admin/catalogue/services/{service['id']}/variants", VARIANT)
    assert twice.status_code == 422
    assert "Another variant of this service has this code already." in text_of(twice.text)
    assert await Service.count() == 1 and await ServiceVariant.count() == 1
    assert await AuditEntry.count() == audits


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "Cloud Storage", "lower-case letters"),
        ("name_sv", "", "Give the name in this language."),
        ("category", "hardware", "Choose one of the list."),
        ("position", "-1", "Give a whole number from 0 to 10000."),
    ],
)
async def test_bad_service_input_answers_422_naming_the_field(client, field, value, message):
    await as_admin(client)
    answer = await post(client, "/admin/catalogue", {**SERVICE, field: value})
    assert answer.status_code == 422
    assert f'id="f-{field}-error"' in answer.text and message in text_of(answer.text)
    assert await Service.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("monthly_price", "12.505", "at most two decimals"),
        ("monthly_price", "", "at most two decimals"),
        ("move_fee", "-5", "at most two decimals"),
        ("unit", "litre", "Choose one of the list."),
        ("tax_category", "reduced", "Choose one of the list."),
        ("currency", "USD", "Choose one of the list."),
        ("notice_months", "36", "Give a whole number from 0 to 24."),
    ],
)
async def test_bad_variant_input_answers_422_naming_the_field(client, field, value, message):
    await as_admin(client)
    added = await post(client, "/admin/catalogue", SERVICE)
    service_id = int(added.headers["location"].rsplit("/", 1)[1])
    answer = await post(client, f"/admin/catalogue/services/{service_id}/variants", {**VARIANT, field: value})
    assert answer.status_code == 422
    assert f'id="f-{field}-error"' in answer.text and message in text_of(answer.text)
    assert await ServiceVariant.count() == 0


def test_amounts_are_read_in_euros_with_a_comma_or_a_point():
    assert catalogue_admin.parse_amount("12,50", "x") == 1250
    assert catalogue_admin.parse_amount("12.5", "x") == 1250
    assert catalogue_admin.parse_amount(" €7 ", "x") == 700
    assert catalogue_admin.parse_amount("1000000", "x") == 100_000_000
    assert catalogue_admin.euros(1250) == "12.50" and catalogue_admin.euros(5) == "0.05"


async def test_the_code_of_a_service_the_rules_name_cannot_change(client):
    await seed_catalogue()
    await as_admin(client)
    webcert = await Service.select().where(Service.code == "webcert").first()
    values = {**catalogue_admin.service_values(webcert), "code": "webcert_two"}
    answer = await post(client, f"/admin/catalogue/services/{webcert['id']}", values)
    assert answer.status_code == 422
    assert "The code of a service in use cannot be changed." in text_of(answer.text)


@pytest.mark.parametrize(
    "path",
    ["/admin/catalogue", "/admin/price-changes", "/admin/subscription-changes", "/admin/revenue"],
)
async def test_the_catalogue_pages_are_for_vendor_admins_only(client, path):
    org = await factories.organisation()
    contact = await factories.member(org, role="contact_person")
    await sign_in_person(client, contact["person_row"])
    assert (await client.get(path)).status_code == 403
    assert (await post(client, "/admin/catalogue", SERVICE)).status_code == 403
    assert await Service.count() == 0


async def test_the_pages_speak_dutch_and_swedish(client):
    await seed_catalogue()
    await as_admin(client)
    await client.post_form("/language", {"locale": "nl", "next": "/"})
    dutch = text_of((await client.get("/admin/catalogue")).text)
    assert "Dienstencatalogus" in dutch and "Zakelijk internet glasvezel" in dutch
    assert "per verbinding" in dutch and "Aangeboden" in dutch
    await client.post_form("/language", {"locale": "sv", "next": "/"})
    swedish = text_of((await client.get("/admin/revenue")).text)
    assert "Återkommande intäkter" in swedish
