"""The local OpenID provider of `make run`: its users (the demo people, with the claims the
portal's identity providers read) and what run-demo prints on how to sign in as each."""

from __future__ import annotations

import json
from typing import Any

from src.demo.people import CARD_CLAIM, EID_CLAIM, ORGANISATIONS, PEOPLE, DemoPerson, person_by_sub

PROVIDER_LABELS = {
    "eid": "Demo e-ID (DigiD / BankID)",
    "card": "Demo smart card (SITHS / UZI)",
    "staff": "Demo staff e-ID",
}


def demo_providers(issuer: str) -> list[dict[str, Any]]:
    """The OIDC_PROVIDERS entries for the local provider: e-ID, smart card, and vendor staff."""
    common = {"issuer": issuer, "assurance": "substantial"}
    return [
        {
            "name": "eid",
            "label": PROVIDER_LABELS["eid"],
            "client_id": "portal-demo-eid",
            "client_secret": "demo-eid-secret",
            "kind": "eid",
            "claim": EID_CLAIM,
            **common,
        },
        {
            "name": "card",
            "label": PROVIDER_LABELS["card"],
            "client_id": "portal-demo-card",
            "client_secret": "demo-card-secret",
            "kind": "smartcard",
            "claim": CARD_CLAIM,
            **common,
        },
        {
            "name": "staff",
            "label": PROVIDER_LABELS["staff"],
            "client_id": "portal-demo-staff",
            "client_secret": "demo-staff-secret",
            "kind": "eid",
            "claim": EID_CLAIM,
            "staff": True,
            **common,
        },
    ]


def demo_providers_json(issuer: str) -> str:
    return json.dumps(demo_providers(issuer))


def demo_user_claims() -> list[tuple[str, dict[str, object]]]:
    """(subject, claims) for each demo person, as the local provider hands them out."""
    users: list[tuple[str, dict[str, object]]] = []
    for p in PEOPLE:
        claims: dict[str, object] = {"name": p.name, "email": p.email}
        if p.personal_identity_number:
            claims[EID_CLAIM] = p.personal_identity_number
        if p.card_id:
            claims[CARD_CLAIM] = p.card_id
        users.append((p.sub, claims))
    return users


def demo_users() -> list[Any]:
    """The predefined users of oidc-provider-mock (one-click buttons on its form)."""
    from oidc_provider_mock import User

    return [User(sub=sub, claims=claims) for sub, claims in demo_user_claims()]


BUTTONS = {
    "eid": '"Sign in with your e-ID"',
    "card": '"Sign in with your smart card"',
    "staff": 'the "Vendor staff" link below the buttons',
}


def sign_in_instructions(base_url: str, provider_url: str, providers: list[dict[str, Any]]) -> str:
    """What run-demo prints: where to open the portal and how to sign in as each demo person."""
    names = {p["name"] for p in providers}
    rule = "=" * 78
    lines = [
        "",
        rule,
        f"  The care portal is running:  {base_url}/",
        f"  Local sign-in service for the demo people:  {provider_url}/",
        rule,
        "",
    ]
    if not names >= set(BUTTONS):
        lines += [
            "  OIDC_PROVIDERS is set in your environment, so the portal offers those providers;",
            "  the demo people below can sign in only through the local sign-in service.",
            "",
        ]
    lines += [
        f"  Sign in: open {base_url}/signin, press the button named for the person below,",
        "  then, on the sign-in service's page, press the button with the person's subject",
        '  (or type the subject into the "sub" field and press Authorize).',
        "",
    ]

    def person_line(p: DemoPerson, role: str) -> str:
        return f"      {p.name:<20} {role:<16} subject: {p.sub}"

    lines.append(f"  Vendor admin (sees every organisation) - press {BUTTONS['staff']}:")
    lines += [person_line(p, "vendor admin") for p in PEOPLE if p.is_vendor_admin]
    for org in ORGANISATIONS:
        members = [(person_by_sub(sub), role) for sub, role in org.members]
        lines.append("")
        lines.append(f"  {org.name} ({org.country}) - press {BUTTONS[members[0][0].provider]}:")
        lines += [person_line(p, role.replace("_", " ")) for p, role in members]
    lines += [
        "",
        "  The demo people are registered with the identifiers their sign-in carries: a BSN or",
        "  personnummer for the e-ID, an HSA-id for the smart card.",
        "  Mail the portal sends (invitations) is kept, not sent out; vendor admins read it at",
        f"  {base_url}/admin/mail",
        "  Stop with Ctrl+C. The data stays in the database under var/; `make run` again keeps it.",
        rule,
        "",
    ]
    return "\n".join(lines)
