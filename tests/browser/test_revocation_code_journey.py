"""The revocation code reaches the subscriber on the embedded default, and works: a contact
person applies for a server certificate, a vendor admin approves it, finds the confirmation letter
in the local mail catcher and downloads it; the number and code in that PDF revoke the
certificate on the public revocation page, and openssl then reads "revoked" from the portal's
OCSP responder and CRL (rules CRT-3, CRT-4, REV-1, REV-4)."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from playwright.async_api import expect
from pypdf import PdfReader

from src.certificates.tables import Certificate, CertificateAuthority
from src.core.tables import CaughtAttachment
from tests import factories
from tests.browser.conftest import htmx_settled, shot
from tests.certificates.pki_support import openssl, write
from tests.certificates.workflow_support import csr_pem
from tests.oidc_support import EID_CLAIM, set_user

pytestmark = pytest.mark.browser


async def _sign_in(page, base: str, link: str, sub: str, lands_on: str) -> None:
    await page.goto(f"{base}/signin")
    await page.get_by_role("link", name=link).click()
    await page.fill("input[name=sub]", sub)
    await page.get_by_role("button", name="Authorize").click()
    await page.wait_for_url(f"**{lands_on}")


async def _sign_out(page, base: str) -> None:
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/oauth2/end_session**")
    await page.get_by_role("button", name="End session").click()
    await page.wait_for_url(f"{base}/signed-out")


async def _letter_caught() -> None:
    """Wait (polling the database) until the worker has handed the letter to the catcher."""
    for _attempt in range(300):
        if await CaughtAttachment.count():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the confirmation letter was not caught")


async def _openssl(*args: str, cwd: Path) -> str:
    result = await asyncio.to_thread(openssl, *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_the_letter_in_the_mail_catcher_revokes_the_certificate(live_server, context, tmp_path):
    org = await factories.organisation(
        name="Zorggroep De Linde B.V.", postal_address="Postbus 7\n1000 AA Amsterdam"
    )
    eva = await factories.person(name="Eva Janssen")
    await factories.member(org, eva, role="contact_person", email="eva@delinde.example")
    femke = await factories.vendor_admin()
    set_user("eva", {EID_CLAIM: eva["personal_identity_number"]})
    set_user("femke", {EID_CLAIM: femke["personal_identity_number"]})
    page = await context.new_page()

    # A contact person applies for a server certificate with a CSR made on their own system.
    await _sign_in(page, live_server, "Sign in with your e-ID", "eva", "/organisation")
    await page.goto(f"{live_server}/organisation/certificates/apply")
    await page.fill("#csr_pem", csr_pem(["portal.delinde.example"], fresh_key=True))
    await expect(page.get_by_role("checkbox", name="portal.delinde.example")).to_be_checked()  # from the CSR
    await page.select_option("#holder_user_id", label="Eva Janssen (eva@delinde.example)")
    await htmx_settled(page)
    await page.get_by_role("button", name="Submit application").click()
    await expect(page.get_by_text("Your application was submitted")).to_be_visible()
    await _sign_out(page, live_server)

    # A vendor admin approves it.
    await _sign_in(page, live_server, "Vendor staff: sign in here", "femke", "/admin")
    await page.goto(f"{live_server}/admin/certificate-applications")
    await page.locator("table a[href^='/admin/certificate-applications/']").first.click()
    await page.get_by_role("button", name="Approve and issue").click()
    await page.wait_for_load_state()

    # The in-process worker mails the confirmation letter after the commit; it is caught.
    await _letter_caught()
    issued = await Certificate.select(Certificate.number).order_by(Certificate.id, ascending=False).first()
    await page.goto(f"{live_server}/admin/mail")
    # (the catcher may also hold letters an earlier test left for this server's worker to send)
    letter_link = page.get_by_role("link", name=f"certificate-{issued['number']}-confirmation.pdf")
    await expect(letter_link).to_be_visible()
    await shot(page, "mail-catcher-with-letter")
    await (
        page.get_by_role("row")
        .filter(has=letter_link)
        .locator("a[href^='/admin/mail/']:not([download])")
        .click()
    )
    await expect(page.get_by_role("heading", name="Attachments")).to_be_visible()
    await shot(page, "caught-mail-with-letter")
    # The long addresses in the mail wrap; the page does not scroll sideways on a phone.
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    async with page.expect_download() as download_info:
        await letter_link.click()
    download = await download_info.value
    pdf = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert pdf.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    number_match = re.search(r"S-\d{4}-\d{6}", text)
    code_match = re.search(r"[A-Z0-9]{4}(?:-[A-Z0-9]{4}){3}", text)
    assert number_match and code_match, text
    number, code = number_match.group(0), code_match.group(0)
    await _sign_out(page, live_server)

    # Anyone with the letter revokes the certificate on the public page (rule REV-1).
    await page.goto(f"{live_server}/revoke")
    await page.fill("#number", number)
    await page.fill("#code", code)
    await page.select_option("#reason", index=1)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Revoke this certificate now").click()
    await expect(page.get_by_role("heading", name="Certificate revoked")).to_be_visible()
    await expect(page.get_by_text(f"Certificate {number} is revoked")).to_be_visible()
    await shot(page, "revoked-with-the-letter")

    # openssl asks the portal's OCSP responder and reads its CRL: revoked.
    certificate = await Certificate.select().where(Certificate.number == number).first()
    ca = CertificateAuthority
    issuing = await ca.select().where(ca.id == certificate["issuer"]).first()
    root = await ca.select().where(ca.id == issuing["parent"]).first()
    write(tmp_path / "leaf.pem", certificate["pem"])
    write(tmp_path / "issuing.pem", issuing["certificate_pem"])
    write(tmp_path / "root.pem", root["certificate_pem"])
    ocsp = await _openssl(
        "ocsp",
        "-issuer",
        "issuing.pem",
        "-CAfile",
        "root.pem",
        "-cert",
        "leaf.pem",
        "-url",
        f"{live_server}/ocsp",
        cwd=tmp_path,
    )
    assert "leaf.pem: revoked" in ocsp, ocsp
    leaf = x509.load_pem_x509_certificate(certificate["pem"].encode())
    crl_url = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value[0].full_name[0].value
    assert crl_url.startswith(live_server)
    async with httpx.AsyncClient(timeout=10) as http:
        write(tmp_path / "crl.der", (await http.get(crl_url)).content)
    crl = await _openssl("crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text", cwd=tmp_path)
    assert certificate["serial_hex"].upper() in crl.replace(":", "").upper(), crl
