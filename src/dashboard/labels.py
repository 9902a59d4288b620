"""Readable labels for the audit log: its actions, object types, changed fields and coded values.

The audit rows store codes (`tenants.user_added`, `membership`, `role: end_user`); the page shows
them in the reader's language. An action, field or value without a label (a new code, an old
row) is shown as it is stored. The CSV export keeps the stored codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from babel.support import LazyProxy

from src.certificates import reasons
from src.certificates.dashboard import kind_labels
from src.certificates.manual import checklist_labels
from src.core.i18n import N_, _, current_locale
from src.tenants.legal_forms import country_label, legal_form_label

ACTIONS: dict[str, LazyProxy] = {
    # users, contact persons and organisations
    "tenants.user_added": N_("User added"),
    "tenants.user_invited": N_("User invited"),
    "tenants.invitation_accepted": N_("Invitation accepted"),
    "tenants.invitation_declined": N_("Invitation declined"),
    "tenants.invitation_withdrawn": N_("Invitation withdrawn"),
    "tenants.user_updated": N_("User changed"),
    "tenants.user_deactivated": N_("User deactivated"),
    "tenants.user_reactivated": N_("User reactivated"),
    "tenants.contact_person_made": N_("Made contact person"),
    "tenants.contact_person_removed": N_("No longer contact person"),
    "tenants.contact_person_added": N_("Contact person added"),
    "tenants.may_sign_agreements_changed": N_("Authority to sign agreements changed"),
    "tenants.email_changed": N_("E-mail address changed"),
    "tenants.organisation_created": N_("Organisation created"),
    "tenants.organisation_updated": N_("Organisation changed"),
    "tenants.organisation_suspended": N_("Organisation suspended"),
    "tenants.organisation_reactivated": N_("Organisation reactivated"),
    "tenants.data_exported": N_("Organisation data exported"),
    # module rights
    "rights.granted": N_("Module right granted"),
    "rights.withdrawn": N_("Module right withdrawn"),
    "rights.signing_granted": N_("Signing rights granted"),
    "rights.signing_withdrawn": N_("Signing rights withdrawn"),
    "rights.module_message_sent": N_("Message sent to a module's users"),
    # user requests, agreements, announcements
    "requests.user_requested": N_("New user requested"),
    "requests.user_request_approved": N_("User request approved"),
    "requests.user_request_rejected": N_("User request rejected"),
    "agreements.document_published": N_("Agreement published"),
    "agreements.signed": N_("Agreement signed"),
    "announcements.published": N_("Announcement published"),
    "compliance.legacy_end_announced": N_("End of the old terms announced"),
    # sign-in and API tokens
    "identity.signed_in": N_("Signed in"),
    "identity.signed_out": N_("Signed out"),
    "identity.token_created": N_("API token created"),
    "identity.token_revoked": N_("API token revoked"),
    "identity.vendor_admin_created": N_("Vendor admin created"),
    "identity.vendor_admin_updated": N_("Vendor admin changed"),
    # certificates
    "certificates.application_submitted": N_("Certificate applied for"),
    "certificates.application_approved": N_("Certificate application approved"),
    "certificates.application_rejected": N_("Certificate application rejected"),
    "certificates.issued": N_("Certificate issued"),
    "certificates.revoked": N_("Certificate revoked"),
    "certificates.holder_left": N_("Certificate holder left the organisation"),
    "certificates.renewal_letter_queued": N_("Renewal letter sent"),
    "certificates.charge_created": N_("Certificate fee charged"),
    "certificates.reimbursement_confirmed": N_("Fee reimbursement confirmed"),
    "certificates.manual_revocation_recorded": N_("Revocation request recorded"),
    "certificates.manual_revocation_checked": N_("Revocation request checked"),
    "certificates.manual_revocation_executed": N_("Revocation request carried out"),
    "certificates.manual_revocation_refused": N_("Revocation request refused"),
    # subscriptions
    "subscriptions.subscription_added": N_("Subscription added"),
    "subscriptions.subscription_ended": N_("Subscription ended"),
    "subscriptions.service_seeded": N_("Service added to the catalogue"),
    # the portal itself
    "audit.exported": N_("Audit log exported"),
    "outbox.delivery_resent": N_("Failed delivery sent again"),
    "demo.organisation_seeded": N_("Demo organisation created"),
    "demo.user_seeded": N_("Demo user created"),
}

OBJECT_TYPES: dict[str, LazyProxy] = {
    "membership": N_("User"),
    "person": N_("Person"),
    "organisation": N_("Organisation"),
    "certificate": N_("Certificate"),
    "certificate_application": N_("Certificate application"),
    "manual_revocation_request": N_("Revocation request"),
    "charge": N_("Fee"),
    "api_token": N_("API token"),
    "user_request": N_("User request"),
    "agreement_document": N_("Agreement"),
    "agreement_acceptance": N_("Signed agreement"),
    "announcement": N_("Announcement"),
    "service_module": N_("Module"),
    "legacy_terms_notice": N_("Notice of the end of the old terms"),
    "subscription": N_("Subscription"),
    "service": N_("Service"),
    "audit_log": N_("Audit log"),
    "outbox_message": N_("Delivery"),
}

FIELDS: dict[str, LazyProxy] = {
    # people and users
    "name": N_("Name"),
    "email": N_("E-mail address"),
    "role": N_("Role"),
    "active": N_("Active"),
    "may_sign_agreements": N_("May sign agreements"),
    "is_contact_person": N_("Contact person"),
    "is_vendor_admin": N_("Vendor admin"),
    "person_id": N_("Person number"),
    "person_created": N_("New person"),
    "membership_id": N_("User number"),
    "personal_identity_number": N_("Personal identity number"),
    "card_id": N_("Card number"),
    "own_address_confirmed": N_("Own address confirmed"),
    # organisations
    "status": N_("Status"),
    "reason": N_("Reason"),
    "note": N_("Note"),
    "kvk_number": N_("KvK number"),
    "agb_code": N_("AGB code"),
    "org_number": N_("Organisation number"),
    "legal_form": N_("Legal form"),
    "country": N_("Country"),
    "billing_address": N_("Billing address"),
    "postal_address": N_("Postal address"),
    "organisation": N_("Organisation"),
    # rights, requests, subscriptions
    "service": N_("Service"),
    "module": N_("Module"),
    "modules": N_("Modules"),
    "right": N_("Right"),
    "signing": N_("Signing rights"),
    "variant": N_("Variant"),
    "quantity": N_("Quantity"),
    "price_cents": N_("Monthly price (cents)"),
    "amount_cents": N_("Amount (cents)"),
    "currency": N_("Currency"),
    "starts_on": N_("Starts on"),
    "ends_on": N_("Ends on"),
    "code": N_("Code"),
    # certificates
    "certificate": N_("Certificate"),
    "number": N_("Certificate number"),
    "kind": N_("Kind"),
    "holder": N_("Holder"),
    "dns_names": N_("Domain names"),
    "subject": N_("Subject"),
    "serial_hex": N_("Serial number"),
    "not_after": N_("Valid until"),
    "revoked_at": N_("Revoked at"),
    "reason_code": N_("CRL reason code"),
    "channel": N_("Channel"),
    "application_id": N_("Application number"),
    "renewal_of_number": N_("Renewal of"),
    "lsp_connection": N_("LSP connection"),
    "key": N_("Key"),
    "needs_new_holder": N_("Needs a new holder"),
    "holder_membership_id": N_("Holder's user number"),
    "chargeable_on": N_("Chargeable on"),
    "reimbursed_by": N_("Reimbursed by"),
    "payer": N_("Payer"),
    "connection": N_("Connection"),
    "received_via": N_("Received by"),
    "received_on": N_("Received on"),
    "requester_name": N_("Requested by"),
    # agreements, announcements, notices
    "version": N_("Version"),
    "effective_on": N_("Effective from"),
    "accept_by": N_("Accept by"),
    "documents": N_("Documents"),
    "pdf_sha256": N_("SHA-256 of the signed copy"),
    "audience": N_("Audience"),
    "announced_on": N_("Announced on"),
    "notice_months": N_("Notice (months)"),
    "deadline": N_("Deadline"),
    "recipients": N_("Recipients"),
    # sign-in, tokens, export, deliveries
    "provider": N_("Sign-in method"),
    "assurance": N_("Assurance level"),
    "prefix": N_("Token prefix"),
    "files": N_("Files"),
    "counts": N_("Counts"),
    "by_vendor_admin": N_("By a vendor admin"),
    "filters": N_("Filters"),
    "failed": N_("Failed"),
    "attempts": N_("Attempts"),
    "may_have_been_delivered": N_("May have been delivered"),
}

ROLES: dict[str, LazyProxy] = {
    "end_user": N_("End user"),
    "contact_person": N_("Contact person"),
}

# Statuses of organisations, applications, revocation requests, user requests and subscriptions.
STATUSES: dict[str, LazyProxy] = {
    "active": N_("Active"),
    "suspended": N_("Suspended"),
    "pending": N_("Pending"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "awaiting": N_("Awaiting execution"),
    "executed": N_("Executed"),
    "refused": N_("Refused"),
    "ended": N_("Ended"),
}

CHANNELS: dict[str, LazyProxy] = {
    "online_code": N_("Revocation code online"),
    "portal": N_("Portal"),
    "api": N_("API"),
    "manual": N_("Signed form"),
    "user_left": N_("User left"),
    "post": N_("Post"),
    "email": N_("E-mail"),
}

AUDIENCES: dict[str, LazyProxy] = {
    "everyone": N_("Everyone"),
    "service": N_("One service's users"),
    "country": N_("One country"),
}

# Object types whose `kind` and `reason` are a certificate kind and a revocation reason.
_CERTIFICATE_OBJECTS = frozenset({"certificate", "certificate_application", "manual_revocation_request"})

# Fields named alike elsewhere that mean something else on a certificate ("subject" is a mail's
# subject on a module message, a distinguished name on a certificate).
CERTIFICATE_FIELDS: dict[str, LazyProxy] = {
    "subject": N_("Subject (distinguished name)"),
}


@functools.cache
def _labels(locale: str) -> dict[str, dict[str, str]]:
    """Every label in one language, translated once (the catalogues do not change while the
    portal runs; the audit page shows several labels on each of its rows)."""
    token = current_locale.set(locale)
    try:

        def plain(table: dict[str, LazyProxy]) -> dict[str, str]:
            return {code: str(label) for code, label in table.items()}

        return {
            "actions": plain(ACTIONS),
            "objects": plain(OBJECT_TYPES),
            # the checklist of a manual revocation is stored with its items as fields
            "fields": {**plain(FIELDS), **checklist_labels()},
            "certificate_fields": plain(CERTIFICATE_FIELDS),
            "roles": plain(ROLES),
            "statuses": plain(STATUSES),
            "channels": plain(CHANNELS),
            "audiences": plain(AUDIENCES),
            "kinds": kind_labels(),
            "reasons": {code: reasons.label(code) for code in reasons.REASON_FLAGS},
        }
    finally:
        current_locale.reset(token)


def _table(name: str) -> dict[str, str]:
    return _labels(current_locale.get())[name]


def action_label(code: str) -> str:
    """The action in the current language; an unknown code is shown as it is."""
    return _table("actions").get(code, code)


def has_action_label(code: str) -> bool:
    return code in ACTIONS


def object_label(object_type: str) -> str:
    return _table("objects").get(object_type, object_type)


def field_label(field: str, object_type: str = "") -> str:
    if object_type in _CERTIFICATE_OBJECTS and field in CERTIFICATE_FIELDS:
        return _table("certificate_fields")[field]
    return _table("fields").get(field, field)


def _lookup(name: str) -> Callable[[str], str]:
    return lambda code: _table(name).get(code, code)


_VALUES: dict[str, Callable[[str], str]] = {
    "role": _lookup("roles"),
    "status": _lookup("statuses"),
    "channel": _lookup("channels"),
    "received_via": _lookup("channels"),
    "audience": _lookup("audiences"),
    "legal_form": legal_form_label,
    "country": country_label,
}
_CERTIFICATE_VALUES: dict[str, Callable[[str], str]] = {
    "kind": _lookup("kinds"),
    "reason": _lookup("reasons"),
}


def value_label(field: str, value: Any, object_type: str = "") -> Any:
    """A coded value's label in the current language; any other value is returned unchanged.

    `kind` and `reason` are coded only on certificates (elsewhere a reason is free text)."""
    if field == "documents" and isinstance(value, list):
        return [_document(d) for d in value]
    if not isinstance(value, str) or not value:
        return value
    label = _VALUES.get(field)
    if label is None and object_type in _CERTIFICATE_OBJECTS:
        label = _CERTIFICATE_VALUES.get(field)
    return label(value) if label is not None else value


def _document(document: Any) -> Any:
    """A signed agreement document by its title and version (its digests stay in the CSV)."""
    if not isinstance(document, dict) or not document.get("title"):
        return document
    return _("%(title)s, version %(version)s", title=document["title"], version=document.get("version", "?"))
