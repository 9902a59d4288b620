"""A contact person applies for a certificate; bad input is refused clearly and stores nothing."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from src.certificates.services import applications
from src.certificates.services.applications import ApplicationInput
from src.certificates.tables import CertificateApplication
from src.core.errors import Forbidden, InputError, NotFound
from src.core.tables import AuditEntry
from tests import factories
from tests.certificates.pki_support import openssl
from tests.certificates.workflow_support import actor_of, csr_pem, key, org_with_contact, tampered_csr_pem


async def refused(actor, org, **fields) -> dict[str, str]:
    with pytest.raises(InputError) as exc:
        await applications.apply(actor, org["id"], ApplicationInput(**fields))
    assert not await CertificateApplication.exists()  # nothing stored
    return exc.value.errors


async def test_a_contact_person_applies_for_a_server_certificate():
    # rule CRT-3: the application waits for review
    org, contact, actor = await org_with_contact()
    row = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(["portal.zorg.example", "api.zorg.example"]),
            dns_names="Portal.zorg.example, api.zorg.example",
            holder_membership_id=contact["id"],
            lsp_connection=True,
        ),
    )
    assert row["status"] == "pending"
    assert row["kind"] == "server"
    assert row["dns_names"] == ["portal.zorg.example", "api.zorg.example"]
    assert row["holder_name"] == "Carla Contact"
    assert row["lsp_connection"] is True
    entry = await AuditEntry.select().where(AuditEntry.action == "certificates.application_submitted").first()
    assert entry is not None and entry["organisation_id"] == org["id"]


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa3072"])
async def test_accepted_keys(kind):
    org, contact, actor = await org_with_contact()
    row = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem(kind=kind), dns_names=["portal.zorg.example"], holder_membership_id=contact["id"]
        ),
    )
    assert row["status"] == "pending"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello, this is my csr", "not PEM"),
        ("", "Paste the certificate signing request"),
        ("SEVERAL", "PEM blocks"),
        ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "cannot be read"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "private key"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "not a certificate signing request"),
    ],
)
async def test_text_that_is_not_one_csr_is_refused(text, expected):
    org, contact, actor = await org_with_contact()
    if text == "SEVERAL":
        text = csr_pem() + csr_pem()
    errors = await refused(
        actor, org, csr_pem=text, dns_names=["portal.zorg.example"], holder_membership_id=contact["id"]
    )
    assert expected in errors["csr_pem"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("rsa1024", "at least 2048"),
        ("p521", "secp521r1"),
        ("secp256k1", "secp256k1"),
        ("ed25519", "Ed25519"),
    ],
)
async def test_weak_or_unaccepted_keys_are_refused(kind, expected):
    org, contact, actor = await org_with_contact()
    errors = await refused(
        actor,
        org,
        csr_pem=csr_pem(kind=kind),
        dns_names=["portal.zorg.example"],
        holder_membership_id=contact["id"],
    )
    assert expected in errors["csr_pem"]


async def test_an_rsa_key_whose_public_exponent_is_not_65537_is_refused_saying_so():
    org, contact, actor = await org_with_contact()
    private = rsa.generate_private_key(public_exponent=3, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal.zorg.example")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(private, hashes.SHA256())
    errors = await refused(
        actor,
        org,
        csr_pem=csr.public_bytes(serialization.Encoding.PEM).decode(),
        dns_names=["portal.zorg.example"],
        holder_membership_id=contact["id"],
    )
    assert "public exponent is 3; it must be 65537" in errors["csr_pem"]


async def test_a_csr_signed_with_sha1_is_refused_naming_its_signature_algorithm(tmp_path):
    org, contact, actor = await org_with_contact()
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        key("rsa2048").private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    made = openssl("req", "-new", "-sha1", "-key", str(key_file), "-subj", "/CN=portal.zorg.example")
    assert made.returncode == 0, made.stderr
    errors = await refused(
        actor, org, csr_pem=made.stdout, dns_names=["portal.zorg.example"], holder_membership_id=contact["id"]
    )
    assert "signed with sha1WithRSAEncryption" in errors["csr_pem"]
    assert "Sign it with SHA-256" in errors["csr_pem"]


@pytest.mark.parametrize("hidden", ["\u202e", "\u2066", "\u200b", "\x1b"])
async def test_invisible_control_characters_in_the_subject_are_refused(hidden):
    """U+202E turns the text after it around: "Zorg\u202eV.B lanoitaN" reads as another name."""
    org, contact, actor = await org_with_contact()
    private = key("p256")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "portal.zorg.example"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Zorg{hidden}V.B lanoitaN"),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(private, hashes.SHA256())
    errors = await refused(
        actor,
        org,
        csr_pem=csr.public_bytes(serialization.Encoding.PEM).decode(),
        dns_names=["portal.zorg.example"],
        holder_membership_id=contact["id"],
    )
    code = f"U+{ord(hidden):04X}"
    assert errors["csr_pem"].startswith("The O in the subject of this certificate signing request")
    assert f"invisible control character {code}" in errors["csr_pem"]


async def test_a_csr_with_a_tampered_signature_is_refused():
    org, contact, actor = await org_with_contact()
    errors = await refused(
        actor,
        org,
        csr_pem=tampered_csr_pem(),
        dns_names=["portal.zorg.example"],
        holder_membership_id=contact["id"],
    )
    assert "signature" in errors["csr_pem"]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], "at least one DNS name"),
        (["other.zorg.example"], "Not in the CSR: other.zorg.example"),
        (["*.zorg.example"], "wildcard"),
        (["not_a host"], "not a valid host name"),
        (["localhost"], "not a valid host name"),
    ],
)
async def test_bad_dns_names_are_refused(names, expected):
    org, contact, actor = await org_with_contact()
    errors = await refused(
        actor,
        org,
        csr_pem=csr_pem(["portal.zorg.example", "*.zorg.example"]),
        dns_names=names,
        holder_membership_id=contact["id"],
    )
    assert expected in errors["dns_names"]


async def test_the_common_name_counts_as_a_name_of_the_csr():
    org, contact, actor = await org_with_contact()
    row = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            csr_pem=csr_pem([], cn="cn-only.zorg.example"),
            dns_names=["cn-only.zorg.example"],
            holder_membership_id=contact["id"],
        ),
    )
    assert row["dns_names"] == ["cn-only.zorg.example"]


async def test_a_name_on_a_pending_application_is_refused_until_reviewed():
    org, contact, actor = await org_with_contact()
    fields = {
        "csr_pem": csr_pem(),
        "dns_names": ["portal.zorg.example"],
        "holder_membership_id": contact["id"],
    }
    await applications.apply(actor, org["id"], ApplicationInput(**fields))
    with pytest.raises(InputError) as exc:
        await applications.apply(actor, org["id"], ApplicationInput(**fields))
    assert "pending application" in exc.value.errors["dns_names"]
    assert await CertificateApplication.count() == 1
    # another organisation may apply for the same name (its own review decides)
    other, other_contact, other_actor = await org_with_contact()
    await applications.apply(
        other_actor, other["id"], ApplicationInput(**{**fields, "holder_membership_id": other_contact["id"]})
    )


async def test_the_holder_must_be_an_active_user_of_the_organisation():
    org, _contact, actor = await org_with_contact()
    gone = await factories.member(org, active=False, name="Gone Person")
    stranger_org = await factories.organisation()
    stranger = await factories.member(stranger_org)
    base = {"csr_pem": csr_pem(), "dns_names": ["portal.zorg.example"]}
    assert (
        "no longer active"
        in (await refused(actor, org, **base, holder_membership_id=gone["id"]))["holder_user_id"]
    )
    assert (
        "user of this organisation"
        in (await refused(actor, org, **base, holder_membership_id=stranger["id"]))["holder_user_id"]
    )
    assert "Choose the certificate holder" in (await refused(actor, org, **base))["holder_user_id"]


async def test_a_personal_certificate_is_for_a_user_without_dns_names():
    org, _contact, actor = await org_with_contact()
    user = await factories.member(org, name="Uma User")
    row = await applications.apply(
        actor,
        org["id"],
        ApplicationInput(
            kind="personal", csr_pem=csr_pem([], cn="Uma User", kind="p256"), holder_membership_id=user["id"]
        ),
    )
    assert row["kind"] == "personal" and row["dns_names"] == [] and row["holder_name"] == "Uma User"
    errors = await refused_after(
        actor,
        org,
        kind="personal",
        csr_pem=csr_pem(),
        dns_names=["portal.zorg.example"],
        holder_membership_id=user["id"],
    )
    assert "no DNS names" in errors["dns_names"]
    errors = await refused_after(
        actor, org, kind="personal", csr_pem=csr_pem([]), lsp_connection=True, holder_membership_id=user["id"]
    )
    assert "national switch point" in errors["lsp_connection"]
    errors = await refused_after(
        actor, org, kind="robot", csr_pem=csr_pem([]), holder_membership_id=user["id"]
    )
    assert "kind" in errors


async def refused_after(actor, org, **fields) -> dict[str, str]:
    before = await CertificateApplication.count()
    with pytest.raises(InputError) as exc:
        await applications.apply(actor, org["id"], ApplicationInput(**fields))
    assert await CertificateApplication.count() == before
    return exc.value.errors


async def test_only_contact_persons_of_the_organisation_apply():
    org, contact, actor = await org_with_contact()
    end_user = await factories.member(org)
    with pytest.raises(Forbidden):
        await applications.apply(
            await actor_of(end_user),
            org["id"],
            ApplicationInput(
                csr_pem=csr_pem(), dns_names=["portal.zorg.example"], holder_membership_id=contact["id"]
            ),
        )
    other = await factories.organisation()
    with pytest.raises(NotFound):  # another organisation answers 404
        await applications.apply(
            actor,
            other["id"],
            ApplicationInput(
                csr_pem=csr_pem(), dns_names=["portal.zorg.example"], holder_membership_id=contact["id"]
            ),
        )
    assert not await CertificateApplication.exists()


async def test_two_applications_at_once_cannot_both_claim_a_name():
    # two contact persons submit the same name at the same moment: one waits and is refused
    import asyncio

    org, contact, actor = await org_with_contact()
    second = await actor_of(await factories.member(org, role="contact_person"))
    fields = {"dns_names": ["portal.zorg.example"], "holder_membership_id": contact["id"]}
    results = await asyncio.gather(
        applications.apply(actor, org["id"], ApplicationInput(csr_pem=csr_pem(), **fields)),
        applications.apply(second, org["id"], ApplicationInput(csr_pem=csr_pem(kind="p256"), **fields)),
        return_exceptions=True,
    )
    assert sum(1 for r in results if isinstance(r, InputError)) == 1, results
    assert await CertificateApplication.count() == 1


async def test_every_problem_is_reported_at_once():
    org, _contact, actor = await org_with_contact()
    errors = await refused(actor, org, csr_pem=csr_pem(kind="rsa1024"), dns_names=["*.zorg.example"])
    assert set(errors) == {"csr_pem", "dns_names", "holder_user_id"}
