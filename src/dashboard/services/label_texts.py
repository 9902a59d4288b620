"""The texts of the audit log's labels (data): its actions, object types, changed fields and coded
values in the source language, translated by the catalogues (src/locale). How they are looked up
is src/dashboard/services/labels.py."""

from __future__ import annotations

from babel.support import LazyProxy

from src.core.i18n import N_

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
    "tenants.organisation_billing_details_updated": N_("Invoicing details changed"),
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
    "announcements.changed": N_("Announcement changed"),
    "announcements.withdrawn": N_("Announcement withdrawn"),
    "compliance.legacy_end_announced": N_("End of the old terms announced"),
    "compliance.legacy_end_corrected": N_("Announced end of the old terms corrected"),
    "compliance.legacy_end_withdrawn": N_("Announced end of the old terms withdrawn"),
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
    "subscriptions.price_change_scheduled": N_("Price change announced"),
    # billing
    "billing.run_started": N_("Billing run started"),
    "billing.invoice_finalised": N_("Invoice finalised"),
    "invoice.credited": N_("Invoice credited"),
    "invoice.disputed": N_("Invoice disputed"),
    "invoice.dispute_resolved": N_("Complaint about an invoice resolved"),
    "billing.payment_recorded": N_("Payment recorded"),
    "billing.reminder_sent": N_("Payment reminder sent"),
    "billing.claim_to_collection": N_("Claim handed to collection"),
    "billing.interest_note_made": N_("Interest note made"),
    "billing.bank_statement_imported": N_("Bank statement imported"),
    "billing.bank_line_set_aside": N_("Payment received set aside"),
    "billing.direct_debit_mandate_given": N_("Direct debit mandate given"),
    "billing.refund_made": N_("Refund made through Stripe"),
    "billing.direct_debit_mandate_stopped": N_("Direct debit stopped"),
    "subscriptions.service_added": N_("Service added"),
    "subscriptions.service_changed": N_("Service changed"),
    "subscriptions.service_deactivated": N_("Service deactivated"),
    "subscriptions.service_reactivated": N_("Service reactivated"),
    "subscriptions.variant_added": N_("Variant added"),
    "subscriptions.variant_changed": N_("Variant changed"),
    "subscriptions.variant_deactivated": N_("Variant deactivated"),
    "subscriptions.variant_reactivated": N_("Variant reactivated"),
    "subscriptions.change_upgrade": N_("Subscription upgraded"),
    "subscriptions.change_downgrade": N_("Downgrade given"),
    "subscriptions.change_cancel": N_("Cancellation given"),
    "subscriptions.change_move": N_("Subscription moved"),
    "subscriptions.change_withdrawn": N_("Subscription change withdrawn"),
    "subscriptions.change_applied": N_("Subscription change took effect"),
    # the portal itself
    "audit.exported": N_("Audit log exported"),
    "outbox.delivery_resent": N_("Failed delivery sent again"),
    "tenants.organisation_users_viewed": N_("An organisation's users looked up"),
    "certificates.organisation_list_viewed": N_("An organisation's certificates looked up"),
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
    "billing_run": N_("Billing run"),
    "price_change": N_("Price change"),
    "service": N_("Service"),
    "service_variant": N_("Variant"),
    "audit_log": N_("Audit log"),
    "outbox_message": N_("Delivery"),
    "invoice": N_("Invoice"),
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
    "vat_number": N_("VAT number"),
    "billing_email": N_("Billing e-mail address"),
    "peppol_id": N_("Peppol ID"),
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
    "monthly_price_cents": N_("Monthly price (cents)"),
    "organisations_notified": N_("Organisations told"),
    "change": N_("Change number"),
    "fees": N_("One-time fees"),
    "address": N_("Address"),
    "amount_cents": N_("Amount (cents)"),
    "currency": N_("Currency"),
    "starts_on": N_("Starts on"),
    "ends_on": N_("Ends on"),
    "code": N_("Code"),
    "period": N_("Month"),
    "organisations": N_("Organisations"),
    "name_nl": N_("Name in Dutch"),
    "name_sv": N_("Name in Swedish"),
    "name_en": N_("Name in English"),
    "category": N_("Category"),
    "requires_agreement": N_("Requires an agreement"),
    "delivered_at_address": N_("Delivered at an address"),
    "upgrade_any_time": N_("Upgrades at any time"),
    "downgrade_with_notice": N_("Downgrades with notice"),
    "position": N_("Position"),
    "unit": N_("Unit"),
    "upgrade_fee_cents": N_("Upgrade fee (cents)"),
    "downgrade_fee_cents": N_("Downgrade fee (cents)"),
    "move_fee_cents": N_("Move fee (cents)"),
    "tax_category": N_("Tax category"),
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
    "texts_changed": N_("Texts changed"),
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
    "evidence_sha256": N_("SHA-256 of the evidence"),
    "q": N_("Search"),
    "state": N_("Status"),
    "days": N_("Within days"),
    # payments
    "invoice": N_("Invoice"),
    "paid_on": N_("Paid on"),
    "reference": N_("Reference"),
    "method": N_("Paid by"),
    "open_cents": N_("Open (cents)"),
    "credit_balance_cents": N_("Credit balance (cents)"),
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
    # certificates, as the certificate lists filter them
    "valid": N_("Valid"),
    "expiring": N_("Expiring within 60 days"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
    # users, as their lists filter them
    "inactive": N_("Deactivated"),
    "deactivated": N_("Deactivated"),
    "invited": N_("Invited"),
    # invoices, as the customer sees them
    "open": N_("Open"),
    "paid": N_("Paid"),
    "overdue": N_("Overdue"),
    "in_collection": N_("In collection"),
    "credited": N_("Credited"),
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

# How a person signed in (identity.signed_in): the kind of means and its assurance level (eIDAS).
SIGN_IN_KINDS: dict[str, LazyProxy] = {
    "eid": N_("e-ID"),
    "smartcard": N_("Smart card"),
}
ASSURANCE: dict[str, LazyProxy] = {
    "low": N_("Low"),
    "substantial": N_("Substantial"),
    "high": N_("High"),
}

# The portal's own actors (src.core.tenancy.SYSTEM and those of the demo, the catalogue, the
# command line and the public revocation page), stored by these names.
SYSTEM_ACTORS: dict[str, LazyProxy] = {
    "system": N_("The portal"),
    "demo data (portal seed-demo)": N_("Demo data"),
    "catalogue seed": N_("Service catalogue"),
    "command line (portal create-vendor-admin)": N_("Command line"),
    "online revocation with code": N_("Online revocation with the code"),
}

# Groups of actions for the audit log's filter, by the prefix of their codes.
ACTION_GROUPS: dict[str, LazyProxy] = {
    "tenants.": N_("Users and organisations"),
    "rights.": N_("Module rights"),
    "requests.": N_("User requests"),
    "agreements.": N_("Agreements"),
    "compliance.": N_("Legacy terms"),
    "announcements.": N_("Announcements"),
    "identity.": N_("Sign-in and API tokens"),
    "certificates.": N_("Certificates"),
    "subscriptions.": N_("Subscriptions"),
    "audit.": N_("The portal"),
    "outbox.": N_("The portal"),
    "demo.": N_("The portal"),
}

AUDIENCES: dict[str, LazyProxy] = {
    "everyone": N_("Everyone"),
    "service": N_("One service's users"),
    "country": N_("One country"),
}

# Object types whose `kind` and `reason` are a certificate kind and a revocation reason.
CERTIFICATE_OBJECTS = frozenset({"certificate", "certificate_application", "manual_revocation_request"})

# Fields named alike elsewhere that mean something else on a certificate ("subject" is a mail's
# subject on a module message, a distinguished name on a certificate).
CERTIFICATE_FIELDS: dict[str, LazyProxy] = {
    "subject": N_("Subject (distinguished name)"),
}
