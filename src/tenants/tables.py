"""Organisations (the tenants), people and their memberships, agreements, requests, announcements
and module rights."""

from typing import Any

from piccolo.columns import Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.column_types import JSON, Bytea, Date, Text
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class Organisation(Table, tablename="organisation"):
    id = Serial(primary_key=True)
    name = Varchar(length=200, index=True)
    country = Varchar(length=2, index=True)  # "NL" | "SE"
    legal_form = Varchar(length=40, index=True)
    kvk_number = Varchar(length=8, null=True, default=None, unique=True)
    agb_code = Varchar(length=8, null=True, default=None)
    org_number = Varchar(length=12, null=True, default=None, unique=True)
    billing_address = Text(default="")
    postal_address = Text(default="")
    # What invoices need: an EU VAT number (compact, upper case; empty: none), where invoices are
    # mailed (empty: to the contact persons) and the Peppol participant id ("0106:58300212").
    vat_number = Varchar(length=20, default="")
    billing_email = Varchar(length=254, default="")
    peppol_id = Varchar(length=64, default="")
    status = Varchar(length=20, default="active", index=True)  # "active" | "suspended"
    # Why it is suspended (rule BIL-10): "" (active), "by_hand" (a vendor admin, for any reason)
    # or "non_payment" (invoices in collection; full payment lifts it). For non-payment the
    # note names the invoices, as its people are told at sign-in.
    suspension_cause = Varchar(length=20, default="")
    suspension_note = Text(default="")
    # Security asked before delivering (rule BIL-11): new orders wait for a paid advance invoice.
    requires_security = Boolean(default=False)
    security_reason = Text(default="")
    security_set_by = Varchar(length=200, default="")
    security_set_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class OrganisationTally(Table, tablename="organisation_tally"):
    """How many organisations there are per country, legal form and status. Database triggers on
    `organisation` keep it, in the same transaction as each change (see the migration that made
    it), so the vendor admins' list tells its total without counting on every view."""

    country = Varchar(length=2)
    legal_form = Varchar(length=40)
    status = Varchar(length=20)
    organisations = Integer(default=0)


class Person(Table, tablename="person"):
    """A human being, matched at sign-in on a personal identity number or a card id."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    email = Varchar(length=254, default="")
    personal_identity_number = Varchar(length=32, null=True, default=None, unique=True)
    card_id = Varchar(length=64, null=True, default=None, unique=True)
    is_vendor_admin = Boolean(default=False, index=True)
    locale = Varchar(length=5, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Membership(Table, tablename="membership"):
    """A person as a user of one organisation, with the e-mail registered there (rule MOD-3)."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    person = ForeignKey(references=Person, index=True)
    name = Varchar(length=200)
    email = Varchar(length=254)
    role = Varchar(length=20, default="end_user")  # "contact_person" | "end_user"
    active = Boolean(default=True)
    invited_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # a contact person authorised to sign the customer agreement (rule AG-1, AG-9)
    may_sign_agreements = Boolean(default=False)
    # An invitation the person has not accepted yet: no access (`active` stays False) until they
    # accept it after signing in. The organisation sees the identifiers it entered, masked, never
    # those registered for the person elsewhere.
    pending = Boolean(default=False)
    invited_pin_masked = Varchar(length=40, default="")
    invited_card_masked = Varchar(length=80, default="")


# --- customer agreements (rules AG-1, AG-9) -------------------------------------------------------


class AgreementDocument(Table, tablename="agreement_document"):
    """One published version of an agreement document (general terms, processor agreement,
    service terms), in Dutch, Swedish and English, each text with its SHA-256.

    Immutable once published: the services have no update path (a change is a new version)."""

    id = Serial(primary_key=True)
    kind = Varchar(length=30, index=True)  # "general_terms" | "processor_agreement" | "service_terms"
    version = Integer()
    title_nl = Varchar(length=200)
    title_sv = Varchar(length=200)
    title_en = Varchar(length=200)
    text_nl = Text()
    text_sv = Text()
    text_en = Text()
    sha256_nl = Varchar(length=64)
    sha256_sv = Varchar(length=64)
    sha256_en = Varchar(length=64)
    effective_on = Date()
    accept_by = Date()
    published_at = Timestamptz(default=TimestamptzNow())
    published_by = ForeignKey(references=Person, null=True, default=None)


class AgreementAcceptance(Table, tablename="agreement_acceptance"):
    """An organisation signed the customer agreement: which document versions (with their
    hashes), who signed, when, from where, and the PDF copy that was made at that moment."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    signer = ForeignKey(references=Membership, null=True, default=None)
    signer_name = Varchar(length=200)
    signer_email = Varchar(length=254, default="")
    signed_at = Timestamptz(default=TimestamptzNow())
    client_address = Varchar(length=64, default="")
    locale = Varchar(length=5, default="en")
    documents = JSON(default=[])  # [{id, kind, version, title, sha256: {nl, sv, en}}]
    pdf = Bytea(default=b"")
    pdf_sha256 = Varchar(length=64, default="")


class LegacyTermsNotice(Table, tablename="legacy_terms_notice"):
    """A vendor admin announced that the older per-user terms of use of a service end (rules
    AG-2, AG-3): from `announced_on` users of organisations without agreement or subscription
    for the service see a banner; from `ends_on` (the deadline, at least the notice period after
    `announced_on`) they can no longer create records there. It can be corrected (`revision`
    counts the corrections) and withdrawn before its deadline (`withdrawn_at`; the row stays for
    history and no longer counts). At most one per service is in force (not withdrawn, deadline
    not passed), kept by src/tenants/services/legacy_terms.py. `service_code` names a catalogue
    service (src/subscriptions; no foreign key, so the tenants app never depends on the
    subscriptions app)."""

    id = Serial(primary_key=True)
    service_code = Varchar(length=40, index=True)
    announced_on = Date()
    ends_on = Date()
    revision = Integer(default=0)
    withdrawn_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(references=Person, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class UserRequest(Table, tablename="user_request"):
    """A contact person's request for a new user (rule MOD-8), decided by a vendor admin.
    `modules`: the rights wanted, [{service, module, signing}]. Approval creates the user
    (`membership`) with those rights and sends the invitation."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    requested_by = ForeignKey(references=Membership, null=True, default=None)
    name = Varchar(length=200)
    email = Varchar(length=254)
    personal_identity_number = Varchar(length=32, null=True, default=None)
    card_id = Varchar(length=64, null=True, default=None)
    modules = JSON(default=[])
    status = Varchar(length=10, default="pending", index=True)  # "pending" | "approved" | "rejected"
    decided_by = ForeignKey(references=Person, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(default="")
    membership = ForeignKey(references=Membership, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Announcement(Table, tablename="announcement"):
    """A vendor-wide announcement shown as a banner to signed-in users (rule MOD-9) from
    `starts_on` to `ends_on` (inclusive), to an audience: "everyone", the users of one service
    (`service_code`: organisations subscribing to it) or one country (`country`). It can be
    corrected while it runs and withdrawn at any time (`withdrawn_at`); both are audited."""

    id = Serial(primary_key=True)
    text_nl = Text()
    text_sv = Text()
    text_en = Text()
    starts_on = Date(index=True)
    ends_on = Date(index=True)
    audience = Varchar(length=10, default="everyone")  # "everyone" | "service" | "country"
    service_code = Varchar(length=40, default="")
    country = Varchar(length=2, default="")
    created_by = ForeignKey(references=Person, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    withdrawn_at = Timestamptz(null=True, default=None)  # withdrawn: kept, shown to nobody


class ModuleRight(Table, tablename="module_right"):
    """A user's right for one module of a service (rule MOD-1); `signing` holds the signing right
    of a module that has one (the contracting module, rule MOD-2). One row per (membership,
    module). The rules are in src/tenants/services/rights.py.

    The module is one of the catalogue's (src.subscriptions), which sits above this domain: the
    reference is by name, and the subscriptions piccolo app, whose migrations run after this
    app's, creates and migrates the table (src/subscriptions/piccolo_app.py)."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    membership = ForeignKey(references=Membership, index=True)
    module: ForeignKey[Any] = ForeignKey(
        references=LazyTableReference(
            table_class_name="ServiceModule", module_path="src.subscriptions.tables"
        ),
        index=True,
    )
    signing = Boolean(default=False)
    granted_by = ForeignKey(references=Person, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
