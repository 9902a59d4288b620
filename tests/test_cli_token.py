"""`portal token create`: a bearer token for a person, printed as the last line of output."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from src.cli import main
from src.identity.auth import build_actor
from src.identity.services import revoke_token
from src.identity.tables import ApiToken
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


async def portal(*args: str) -> Result:
    """Run the command in-process; it runs its own event loop, so in a thread of its own."""
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_the_printed_token_works_against_the_api(client):
    org = await factories.organisation(name="Cli Zorg B.V.")
    user = await factories.member(org, role="contact_person", email="cli.user@zorg.example")
    result = await portal("token", "create", "--email", "CLI.User@zorg.example", "--name", "nightly export")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    body = me.json()
    assert body["person"]["id"] == user["person"]
    assert body["organisation"]["id"] == org["id"]
    assert (await ApiToken.select(ApiToken.name).first())["name"] == "nightly export"


async def test_a_person_found_by_the_email_registered_at_an_organisation(client):
    # the address registered for the user at the organisation (rule MOD-3), not the person's own
    org = await factories.organisation()
    who = await factories.person(email="private@home.example")
    await factories.member(org, who, email="work@zorg.example")
    result = await portal("token", "create", "--email", "work@zorg.example")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["person"]["id"] == who["id"]


async def test_a_person_of_several_organisations_must_choose_one(client):
    who = await factories.person(email="multi@zorg.example")
    first = await factories.organisation(name="Eerste B.V.")
    second = await factories.organisation(name="Tweede B.V.")
    await factories.member(first, who)
    await factories.member(second, who, role="contact_person")
    refused = await portal("token", "create", "--email", "multi@zorg.example")
    assert refused.exit_code != 0
    assert "--organisation" in refused.output and "Tweede B.V." in refused.output
    assert not await ApiToken.exists()

    chosen = await portal(
        "token", "create", "--email", "multi@zorg.example", "--organisation", str(second["id"])
    )
    assert chosen.exit_code == 0, chosen.output
    token = chosen.output.strip().splitlines()[-1]
    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me["organisation"]["id"] == second["id"] and me["role"] == "contact_person"

    stranger = await factories.organisation()
    refused = await portal(
        "token", "create", "--email", "multi@zorg.example", "--organisation", str(stranger["id"])
    )
    assert refused.exit_code != 0 and "not an active user" in refused.output


async def test_an_unknown_address_is_refused_clearly(client):
    result = await portal("token", "create", "--email", "nobody@zorg.example")
    assert result.exit_code != 0
    assert "Nobody is registered with the e-mail address nobody@zorg.example" in result.output


async def test_a_revoked_cli_token_answers_401(client):
    org = await factories.organisation()
    user = await factories.member(org, email="revoke@zorg.example")
    result = await portal("token", "create", "--email", "revoke@zorg.example")
    token = result.output.strip().splitlines()[-1]
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    actor = await build_actor(user["person"], org["id"], "127.0.0.1")
    assert actor is not None
    await revoke_token(actor, (await ApiToken.select(ApiToken.id).first())["id"])
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_the_installed_portal_command_prints_the_token_last(client):
    org = await factories.organisation()
    await factories.member(org, email="subprocess@zorg.example")
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "src.cli", "token", "create", "--email", "subprocess@zorg.example"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("cp_")
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
