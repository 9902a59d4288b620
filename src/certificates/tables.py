"""The certificate authority, applications, certificates, revocations and renewal letters.

Rules: CRT-1..4, REV-1..7, BIL-1..4, MOD-7 (../shared/DOMAIN.md)."""

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.column_types import Date, Text
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from src.tenants.tables import Membership, Organisation, Person


class CertificateAuthority(Table, tablename="certificate_authority"):
    """A CA of the portal's hierarchy: the root, and the issuing CA it certified.
    The private key is kept encrypted with a key from settings."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    role = Varchar(length=10, index=True)  # "root" | "issuing"
    parent: ForeignKey["CertificateAuthority"] = ForeignKey(references="self", null=True, default=None)
    subject_dn = Varchar(length=500)
    serial_hex = Varchar(length=64, unique=True)
    certificate_pem = Text()
    encrypted_key = Text()
    not_before = Timestamptz()
    not_after = Timestamptz()
    active = Boolean(default=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class CertificateApplication(Table, tablename="certificate_application"):
    """An organisation asks for a certificate; a vendor admin reviews it (rule CRT-3)."""

    id = Serial(primary_key=True)
    organisation = ForeignKey(references=Organisation, index=True)
    kind = Varchar(length=10, default="server")  # "server" | "personal"
    status = Varchar(length=10, default="pending", index=True)  # "pending" | "approved" | "rejected"
    csr_pem = Text()
    public_key_sha256 = Varchar(length=64, index=True)
    dns_names = JSON(default="[]")
    holder = ForeignKey(references=Membership, null=True, default=None)
    lsp_connection = Boolean(default=False)
    renewal_of_number = Varchar(length=32, null=True, default=None)
    submitted_by = ForeignKey(references=Person, null=True, default=None)
    submitted_at = Timestamptz(default=TimestamptzNow(), index=True)
    reviewed_by = ForeignKey(references=Person, null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    rejection_reason = Text(default="")


class Certificate(Table, tablename="certificate"):
    """An issued certificate. `number` is what people quote (with the revocation code, REV-1);
    the code itself is stored only as a hash (CRT-4)."""

    id = Serial(primary_key=True)
    number = Varchar(length=32, unique=True)
    organisation = ForeignKey(references=Organisation, index=True)
    application = ForeignKey(references=CertificateApplication, null=True, default=None)
    issuer = ForeignKey(references=CertificateAuthority)
    kind = Varchar(length=10, default="server")  # "server" | "personal"
    serial_hex = Varchar(length=64, unique=True)
    subject_dn = Varchar(length=500)
    dns_names = JSON(default="[]")
    holder = ForeignKey(references=Membership, null=True, default=None, index=True)
    needs_new_holder = Boolean(default=False)
    pem = Text()
    not_before = Timestamptz()
    not_after = Timestamptz(index=True)
    revocation_code_hash = Varchar(length=255)
    lsp_connection = Boolean(default=False)
    reimbursement_confirmed_at = Timestamptz(null=True, default=None)
    reimbursed_by = Varchar(length=200, default="")
    revoked_at = Timestamptz(null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Revocation(Table, tablename="revocation"):
    """The irrevocable end of a certificate (REV-2), at an exact moment (REV-6)."""

    id = Serial(primary_key=True)
    certificate = ForeignKey(references=Certificate, unique=True)
    revoked_at = Timestamptz(index=True)
    reason = Varchar(length=40)  # a REV-3 reason, see src/certificates/reasons.py
    reason_code = Integer()  # its RFC 5280 CRLReason
    channel = Varchar(length=20)  # "online_code" | "portal" | "api" | "manual" | "user_left"
    revoked_by = ForeignKey(references=Person, null=True, default=None)
    client_address = Varchar(length=64, default="")
    # This revocation's entry of the CRL (DER, hex), encoded once when it is made, so a CRL of
    # 100,000 entries is a join of stored entries and one signature (see publication.py).
    crl_entry = Text(default="")


class ManualRevocationRequest(Table, tablename="manual_revocation_request"):
    """A revocation request received by post or e-mail (REV-5), with its evidence."""

    id = Serial(primary_key=True)
    certificate_number = Varchar(length=32, index=True)
    certificate = ForeignKey(references=Certificate, null=True, default=None)
    received_via = Varchar(length=10)  # "post" | "email"
    received_on = Date()
    requester_name = Varchar(length=200)
    reason = Varchar(length=40)
    checklist = JSON(default="{}")
    status = Varchar(length=10, default="awaiting", index=True)  # "awaiting" | "executed" | "refused"
    recorded_by = ForeignKey(references=Person, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
    executed_by = ForeignKey(references=Person, null=True, default=None)
    executed_at = Timestamptz(null=True, default=None)
    notes = Text(default="")


class EvidenceFile(Table, tablename="evidence_file"):
    """A scan kept with a manual revocation request: the signed form or the identity document."""

    id = Serial(primary_key=True)
    request = ForeignKey(references=ManualRevocationRequest, index=True)
    kind = Varchar(length=20)  # "signed_form" | "identity_document"
    filename = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    storage_path = Varchar(length=500)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class RenewalLetter(Table, tablename="renewal_letter"):
    """The letter sent 60 days before expiry (CRT-2), once per certificate and expiry date."""

    id = Serial(primary_key=True)
    certificate = ForeignKey(references=Certificate, index=True)
    for_not_after = Timestamptz()
    dedupe_key = Varchar(length=100, unique=True)
    sent_at = Timestamptz(default=TimestamptzNow())


class CrlState(Table, tablename="crl_state"):
    """The last CRL published per issuing CA: its number (always increasing) and bytes."""

    id = Serial(primary_key=True)
    issuer = ForeignKey(references=CertificateAuthority, unique=True)
    crl_number = Integer(default=0)
    this_update = Timestamptz(null=True, default=None)
    next_update = Timestamptz(null=True, default=None)
    der = Text(default="")  # base64 of the DER encoding
    revocations_included = Integer(default=0)  # how many revocations the stored CRL lists
