"""Revocation pages: the public page with number and code (REV-1, REV-4) and the contact
person's revocation from the portal."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Template

from src.certificates import reasons
from src.certificates.services import public_revocation
from src.certificates.services.revocation import find_by_number, identifying_facts, revoke
from src.core.errors import Conflict, InputError, NotFound
from src.core.i18n import LOCALES, _, current_locale, format_datetime
from src.core.pdf import render_pdf
from src.core.security import RateLimiter, address_bucket
from src.core.tenancy import Actor, TenantScope
from src.core.web import flash, page, redirect
from src.identity.auth import client_address, provide_actor
from src.settings import get_settings
from src.tenants.tables import Organisation

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

# Guessing must not work (REV-1), and nobody may stop a holder from revoking: see `_throttled`.
PER_ADDRESS_AND_NUMBER_PER_HOUR = 5
PER_ADDRESS_PER_HOUR = 20
CONFIRM_SECONDS = 10 * 60


def _no_match() -> str:
    # One and the same answer for "no such number" and "wrong code".
    return _("This certificate number and revocation code do not belong together. Check both and try again.")


def _confirm_token(certificate_id: int, reason: str, expires: int) -> str:
    """Proof that the code was checked, carried by the confirm step (so the code is checked, and
    counted, once per attempt)."""
    message = f"revoke:{certificate_id}:{reason}:{expires}".encode()
    mac = hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()
    return f"{certificate_id}.{expires}.{mac}"


def _check_token(token: str, reason: str) -> int | None:
    try:
        cert_id_text, expires_text, _mac = token.split(".")
        certificate_id, expires = int(cert_id_text), int(expires_text)
    except ValueError:
        return None
    expected = _confirm_token(certificate_id, reason, expires)
    if not hmac.compare_digest(expected, token) or expires < time.time():
        return None
    return certificate_id


def _form(
    request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Template:
    return page(
        request,
        "certificates/revoke.html",
        {"values": values, "errors": errors, "reasons": reasons.choices()},
        status_code=status,
    )


@get("/revoke", include_in_schema=False)
async def revoke_page(request: Request[Any, Any, Any]) -> Template:
    return _form(request, {}, {})


@get("/revoke/form/{language:str}", include_in_schema=False)
async def revocation_form_pdf(language: FromPath[str]) -> Response[bytes]:
    """The form for a revocation by post or e-mail, in Dutch, Swedish or English (rule REV-5):
    `/revoke/form/nl.pdf`."""
    code, _dot, extension = language.partition(".")
    if code not in LOCALES or extension != "pdf":
        raise NotFound()
    token = current_locale.set(code)
    try:
        pdf = await render_pdf(
            "certificates/pdf_revocation_form.html",
            {"reasons": reasons.choices(), "base_url": get_settings().base_url},
        )
    finally:
        current_locale.reset(token)
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="revocation-form-{code}.pdf"'},
    )


async def _throttled(request: Request[Any, Any, Any], number: str) -> int:
    """How the online revocation is throttled (rule REV-1). 0: go ahead; else the seconds to wait.

    Every attempt from a client address is counted before its code is checked, right or wrong:
    at most 20 per hour from one address over all certificate numbers, and at most 5 per hour
    from one address for one number. There is no limit on a number by itself: numbers are
    sequential (S-2026-000001, ...), so a lock on a number would let anyone stop its holder from
    revoking it, by typing five wrong codes. A stranger's attempts throttle only the stranger's
    own address; the holder, from another address, is never affected.

    Guessing stays hopeless: a code has about 79 bits and each check costs an Argon2 hash, so even
    a million addresses at 20 attempts an hour try about 2^37 codes a year, of 2^79. An IPv6
    address counts as its /64 network (`address_bucket`), so one host cannot step through its
    own addresses. The counts are raised in one atomic step in the store (memory or Redis), so
    concurrent requests from one address get exactly the allowed number of checks."""
    store = request.app.stores.get("rate_limits")
    per_address = RateLimiter(store, PER_ADDRESS_PER_HOUR, 3600, "revoke-address")
    per_number = RateLimiter(store, PER_ADDRESS_AND_NUMBER_PER_HOUR, 3600, "revoke-address-number")
    address = address_bucket(client_address(request))
    number_key = hashlib.sha256(f"{address} {number}".encode()).hexdigest()[:32]
    return await per_address.hit(address) or await per_number.hit(number_key)


@post("/revoke", include_in_schema=False)
async def revoke_check(request: Request[Any, Any, Any], data: Form) -> Template:
    """Step 1 (rule REV-1): number + code + reason; a match leads to the confirm step."""
    number = (data.get("number") or "").strip().upper()
    code = (data.get("code") or "").strip()
    reason = data.get("reason") or ""
    values = {"number": number, "reason": reason}
    errors: dict[str, str] = {}
    if not number:
        errors["number"] = _("Enter the certificate number.")
    if not code:
        errors["code"] = _("Enter the revocation code.")
    if reason not in reasons.CHOOSABLE:
        errors["reason"] = _("Choose a reason for the revocation.")
    if errors:
        return _form(request, values, errors, 422)
    wait = await _throttled(request, number)
    if wait:
        refused = _form(
            request,
            values,
            {
                "form": _(
                    "Too many attempts. For your security, try again in an hour, "
                    "or ask us to revoke by post or e-mail."
                )
            },
            429,
        )
        refused.headers["Retry-After"] = str(wait)
        return refused
    cert = await public_revocation.check_code(number, code)
    if cert is None:
        return _form(request, values, {"form": _no_match()}, 422)
    org = (
        await Organisation.select(Organisation.name, Organisation.country)
        .where(Organisation.id == cert["organisation"])
        .first()
    )
    if cert["revoked_at"] is not None:
        # Only who holds the right code learns this (rule REV-2).
        return _form(
            request,
            values,
            {
                "form": _(
                    "This certificate was already revoked on %(moment)s. A revocation is irrevocable.",
                    moment=format_datetime(cert["revoked_at"], country=org["country"] if org else None),
                )
            },
            409,
        )
    expires = int(time.time()) + CONFIRM_SECONDS
    return page(
        request,
        "certificates/revoke_confirm.html",
        {
            "certificate": cert,
            "organisation": org,
            "reason": reason,
            "reason_label": reasons.label(reason),
            "token": _confirm_token(cert["id"], reason, expires),
        },
    )


@post("/revoke/confirm", include_in_schema=False)
async def revoke_confirm(request: Request[Any, Any, Any], data: Form) -> Template:
    """Step 2: revoke now, and confirm at once with the exact time (rules REV-4, REV-6)."""
    reason = data.get("reason") or ""
    certificate_id = _check_token(data.get("token") or "", reason)
    if certificate_id is None:
        return _form(
            request, {}, {"form": _("This confirmation has expired. Enter the number and code again.")}, 422
        )
    try:
        result = await public_revocation.revoke_with_code(certificate_id, reason, client_address(request))
    except Conflict as exc:
        return _form(request, {}, {"form": exc.message}, 409)
    return page(request, "certificates/revoke_done.html", _done_context(result))


def _done_context(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "result": result,
        "reason_label": reasons.label(result["reason"]),
        "moment": format_datetime(result["revoked_at"], country=result["country"]),
        "moment_utc": result["revoked_at"].isoformat(timespec="microseconds"),
    }


# --- a contact person revokes from the portal -------------------------------------------------


async def _own_certificate(actor: Actor, number: str) -> dict[str, Any]:
    cert = await find_by_number(actor, number)  # another organisation's: 404
    if cert is None:
        raise NotFound()
    scope = TenantScope(actor, cert["organisation"])
    scope.require_contact_person()
    return cert


async def _org_revoke_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    cert: dict[str, Any],
    errors: dict[str, str],
    values: dict[str, str],
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "certificates/revoke_org.html",
        {
            "certificate": cert,
            "reasons": reasons.choices(),
            "errors": errors,
            "values": values,
            **await identifying_facts(actor, cert),
        },
        partial="certificates/_revoke_org_form.html",
        status_code=status_code,
    )


@get(
    "/organisation/certificates/{number:str}/revoke",
    include_in_schema=False,
    dependencies={"actor": Provide(provide_actor)},
)
async def org_revoke_form(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], number: FromPath[str]
) -> Template:
    cert = await _own_certificate(actor, number)
    return await _org_revoke_page(request, actor, cert, {}, {})


@post(
    "/organisation/certificates/{number:str}/revoke",
    include_in_schema=False,
    dependencies={"actor": Provide(provide_actor)},
)
async def org_revoke(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor], number: FromPath[str], data: Form
) -> Response[Any]:
    cert = await _own_certificate(actor, number)
    reason = data.get("reason") or ""
    errors: dict[str, str] = {}
    if reason not in reasons.CHOOSABLE:
        errors["reason"] = _("Choose a reason for the revocation.")
    if data.get("confirm") != "yes":
        errors["confirm"] = _("Confirm that you understand a revocation cannot be undone.")
    if not errors:
        try:
            result = await revoke(actor, cert["id"], reason, "portal")
        except InputError as exc:
            errors.update(exc.errors)
        except Conflict as exc:
            errors["form"] = exc.message
    if errors:
        return await _org_revoke_page(
            request, actor, cert, errors, {"reason": reason}, status_code=409 if "form" in errors else 422
        )
    flash(
        request,
        _(
            "Certificate %(number)s was revoked on %(moment)s.",
            number=result["number"],
            moment=format_datetime(result["revoked_at"], country=result["country"]),
        ),
    )
    return redirect(request, f"/organisation/certificates/{result['number']}")


ROUTES = [revoke_page, revocation_form_pdf, revoke_check, revoke_confirm, org_revoke_form, org_revoke]
