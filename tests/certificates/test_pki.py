"""The CA hierarchy and issuance, judged by the real openssl (rules CRT-1, CRT-4)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from src.certificates.services import pki
from src.certificates.services.issuance import verify_code
from src.certificates.tables import Certificate, CertificateAuthority
from src.core.tables import AuditEntry
from tests import factories
from tests.certificates.pki_support import issue, openssl, split_chain, write


async def test_init_ca_creates_root_and_issuing_and_refuses_a_second_time() -> None:
    root_id, issuing_id = await pki.init_ca()
    with pytest.raises(pki.CAExists, match="already exists"):
        await pki.init_ca()
    rows = await CertificateAuthority.select().order_by(CertificateAuthority.id)
    assert [r["role"] for r in rows] == ["root", "issuing"]
    assert "ENCRYPTED PRIVATE KEY" in rows[1]["encrypted_key"]
    root = x509.load_pem_x509_certificate(rows[0]["certificate_pem"].encode())
    issuing = x509.load_pem_x509_certificate(rows[1]["certificate_pem"].encode())
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 1
    bc = issuing.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 0
    ku = issuing.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign
    assert (
        issuing.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
        == root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    )
    assert (root_id, issuing_id) == (rows[0]["id"], rows[1]["id"])


async def test_issued_server_certificate_verifies_with_openssl(tmp_path: Path) -> None:
    # rule CRT-1: three years; random serial of at least 64 bits; AIA / CRL DP at this portal
    org = await factories.organisation(name="Zorggroep Noord B.V.", kvk_number="12345678")
    issued, _, holder = await issue(org, dns_names=["portal.zorg.example", "api.zorg.example"])
    issuing_pem, root_pem = split_chain(issued.chain_pem)
    write(tmp_path / "root.pem", root_pem)
    write(tmp_path / "issuing.pem", issuing_pem)
    write(tmp_path / "leaf.pem", issued.pem)
    result = openssl(
        "verify",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "issuing.pem",
        "-purpose",
        "sslserver",
        "leaf.pem",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "leaf.pem: OK" in result.stdout

    cert = x509.load_pem_x509_certificate(issued.pem.encode())
    assert cert.serial_number.bit_length() >= 64 and cert.serial_number < 2**159
    assert cert.not_valid_after_utc - cert.not_valid_before_utc >= dt.timedelta(days=3 * 365)
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Zorggroep Noord B.V."
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == "NTRNL-12345678"
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == str(holder["id"])
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["portal.zorg.example", "api.zorg.example"]
    cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    issuer_id = (await pki.active_issuing_ca()).id  # type: ignore[union-attr]
    assert cdp[0].full_name[0].value == f"http://testserver.local/pki/crl/{issuer_id}.crl"
    aia = [
        a.access_location.value
        for a in cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    ]
    assert aia == ["http://testserver.local/ocsp", f"http://testserver.local/pki/ca/{issuer_id}.crt"]

    # rule CRT-4: a number and a revocation code; only the code's hash is stored
    assert issued.number.startswith(f"S-{dt.datetime.now(dt.UTC).year}-")
    row = await Certificate.select().where(Certificate.id == issued.certificate_id).first()
    assert issued.revocation_code not in row["revocation_code_hash"]
    assert row["revocation_code_hash"].startswith("$argon2id$")
    assert verify_code(row["revocation_code_hash"], issued.revocation_code.lower())
    assert not verify_code(row["revocation_code_hash"], "AAAA-BBBB-CCCC-DDDD")
    assert await AuditEntry.exists().where(AuditEntry.action == "certificates.issued")


async def test_personal_certificate_names_the_person_and_is_for_client_auth(tmp_path: Path) -> None:
    org = await factories.organisation(
        name="Zorgkantoor Zuid", country="SE", kvk_number=None, org_number="5560000001"
    )
    holder = await factories.member(org, name="Anna Berg", email="anna.berg@zuid.example")
    issued, _, _ = await issue(org, kind="personal", holder=holder, rsa_key=True)
    cert = x509.load_pem_x509_certificate(issued.pem.encode())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Anna Berg"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == "NTRSE-5560000001"
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["anna.berg@zuid.example"]
    assert issued.number.startswith("P-")
    issuing_pem, root_pem = split_chain(issued.chain_pem)
    write(tmp_path / "root.pem", root_pem)
    write(tmp_path / "issuing.pem", issuing_pem)
    write(tmp_path / "leaf.pem", issued.pem)
    result = openssl(
        "verify",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "issuing.pem",
        "-purpose",
        "sslclient",
        "leaf.pem",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr


async def test_numbers_are_sequential_and_unique() -> None:
    org = await factories.organisation()
    first, _, holder = await issue(org)
    second, _, _ = await issue(org, holder=holder)
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1
    assert first.revocation_code != second.revocation_code


async def test_portal_init_ca_command_refuses_to_overwrite() -> None:
    import asyncio

    from click.testing import CliRunner

    from src.cli import main

    first = await asyncio.to_thread(CliRunner().invoke, main, ["init-ca"])
    assert first.exit_code == 0, first.output
    assert "Created root CA" in first.output
    second = await asyncio.to_thread(CliRunner().invoke, main, ["init-ca"])
    assert second.exit_code != 0
    assert "already exists" in second.output and "never overwritten" in second.output
    assert await CertificateAuthority.count() == 2


async def test_pki_page_lists_the_ca_certificates_without_sign_in(client: object) -> None:
    # the embedded default creates its CA on first use
    page = await client.get("/pki")  # type: ignore[attr-defined]
    assert page.status_code == 200
    assert "Care Portal Root CA" in page.text and "Care Portal Issuing CA" in page.text
    for ca in await CertificateAuthority.select():
        pem = await client.get(f"/pki/ca/{ca['id']}.pem")  # type: ignore[attr-defined]
        der = await client.get(f"/pki/ca/{ca['id']}.crt")  # type: ignore[attr-defined]
        assert pem.text == ca["certificate_pem"]
        assert x509.load_der_x509_certificate(der.content).serial_number == int(ca["serial_hex"], 16)
    assert (await client.get("/pki/ca/999.pem")).status_code == 404  # type: ignore[attr-defined]
