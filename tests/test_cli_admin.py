"""`portal create-vendor-admin`: the way the first vendor admin gets into a fresh portal."""

from __future__ import annotations

import asyncio
from typing import Any

from click.testing import CliRunner, Result

from src.cli import main
from src.core.tables import AuditEntry
from src.tenants.tables import Person
from tests import factories, signed_in
from tests.oidc_support import EID_CLAIM


async def _cli(*args: str) -> Result:
    """Run the command as a terminal would: on its own thread with its own event loop."""
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_same_email_means_the_same_person_with_the_name_updated() -> None:
    created = await _cli(
        "create-vendor-admin", "--email", "Femke.Hendriks@zorg-it.example", "--name", "Femke Hendriks"
    )
    assert created.exit_code == 0, created.output
    assert "Created vendor admin Femke Hendriks <femke.hendriks@zorg-it.example>" in created.output
    # Without an identifier the person cannot sign in yet, and the command says so.
    assert "cannot sign in" in created.output

    renamed = await _cli(
        "create-vendor-admin",
        "--email",
        "femke.hendriks@zorg-it.example",
        "--name",
        "Femke Hendriks-de Wit",
        "--personal-identity-number",
        "123456782",
    )
    assert renamed.exit_code == 0, renamed.output
    assert "Updated vendor admin" in renamed.output and "Femke Hendriks-de Wit" in renamed.output

    again = await _cli(
        "create-vendor-admin",
        "--email",
        "femke.hendriks@zorg-it.example",
        "--name",
        "Femke Hendriks-de Wit",
        "--personal-identity-number",
        "123456782",
    )
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output

    people = await Person.select()
    assert len(people) == 1
    [admin] = people
    assert admin["name"] == "Femke Hendriks-de Wit"
    assert admin["email"] == "femke.hendriks@zorg-it.example"
    assert admin["is_vendor_admin"] and admin["personal_identity_number"] == "123456782"
    actions = [row["action"] for row in await AuditEntry.select().order_by(AuditEntry.id)]
    assert actions == ["identity.vendor_admin_created", "identity.vendor_admin_updated"]


async def test_an_existing_person_with_that_email_becomes_vendor_admin() -> None:
    existing = await factories.person(email="k.devos@zorg-it.example", name="Kees de Vos")
    result = await _cli("create-vendor-admin", "--email", "k.devos@zorg-it.example", "--name", "Kees de Vos")
    assert result.exit_code == 0, result.output
    assert f"person #{existing['id']}" in result.output
    [row] = await Person.select()
    assert row["id"] == existing["id"] and row["is_vendor_admin"]


async def test_bad_input_is_refused_and_nothing_is_stored() -> None:
    bad_number = await _cli(
        "create-vendor-admin",
        "--email",
        "a@zorg-it.example",
        "--name",
        "A",
        "--personal-identity-number",
        "12",
    )
    assert bad_number.exit_code != 0
    assert "BSN" in bad_number.output
    failing_check = await _cli(
        "create-vendor-admin",
        "--email",
        "a@zorg-it.example",
        "--name",
        "A",
        "--personal-identity-number",
        "123456789",
    )
    assert failing_check.exit_code != 0 and "eleven test" in failing_check.output
    bad_email = await _cli("create-vendor-admin", "--email", "not-an-address", "--name", "A")
    assert bad_email.exit_code != 0 and "not an e-mail address" in bad_email.output
    assert await Person.count() == 0
    assert await AuditEntry.count() == 0


async def test_an_identifier_held_by_someone_else_is_refused() -> None:
    await factories.person(email="other@example.org", personal_identity_number="234567892")
    result = await _cli(
        "create-vendor-admin",
        "--email",
        "new@zorg-it.example",
        "--name",
        "New Admin",
        "--personal-identity-number",
        "234567892",
    )
    assert result.exit_code != 0 and "already belongs" in result.output
    assert await Person.count() == 1


async def test_the_created_vendor_admin_signs_in_as_staff(client: Any) -> None:
    result = await _cli(
        "create-vendor-admin",
        "--email",
        "staff@zorg-it.example",
        "--name",
        "Staff Member",
        "--personal-identity-number",
        "19690918-4712",
    )
    assert result.exit_code == 0, result.output
    answer = await signed_in.sign_in(client, {EID_CLAIM: "196909184712"}, provider="staff")
    assert answer.status_code == 302, answer.text
    landing = await client.get("/", follow_redirects=False)
    assert landing.headers["location"] == "/admin"
