"""Mail over SMTP as production sends it: STARTTLS or implicit TLS with the server's certificate
verified, a login only ever over TLS, against a real SMTP server (aiosmtpd).

The server's certificate is issued in the test by a throwaway CA, trusted through SMTP_CA_FILE."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import ipaddress
import re
import smtplib
import ssl
import uuid
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from src.core import mail
from src.core.tables import CaughtMail, SentMail
from src.settings import Settings, get_settings, override_settings
from tests.workers.conftest import free_port

USER, PASSWORD = "portal", "correct horse battery staple"


# --- a throwaway CA and the server's certificate ------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_ca(directory: Path, name: str) -> tuple[Path, x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    path = directory / f"{name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, cert, key


def server_tls_context(
    directory: Path, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey
) -> ssl.SSLContext:
    """The server's context: a certificate for 127.0.0.1 and localhost, signed by `ca`."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_pem_key(key))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


@dataclasses.dataclass
class Pki:
    ca_file: Path
    other_ca_file: Path
    server_context: ssl.SSLContext


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca_file, ca, ca_key = make_ca(tmp_path, "test-mail-ca")
    other_ca_file, _other, _other_key = make_ca(tmp_path, "some-other-ca")
    return Pki(ca_file, other_ca_file, server_tls_context(tmp_path, ca, ca_key))


# --- the SMTP server ------------------------------------------------------------------------------


class Server:
    """aiosmtpd that keeps what it receives and who logged in."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        ):
            self.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def start_server() -> Iterator[Any]:
    controllers: list[Controller] = []

    def start(server: Server, **options: Any) -> int:
        port = free_port()
        controller = Controller(
            server,
            hostname="127.0.0.1",
            port=port,
            ready_timeout=5,
            server_hostname="localhost",
            authenticator=server.authenticate,
            **options,
        )
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


def use(**changes: Any) -> None:
    override_settings(dataclasses.replace(get_settings(), smtp_host="127.0.0.1", **changes))


async def send(subject: str) -> tuple[bool, str]:
    key = f"test-smtp:{uuid.uuid4()}"
    sent = await mail.deliver(["ann@example.org"], subject, f"Body of {subject}", key)
    return sent, key


# --- the tests ------------------------------------------------------------------------------------


async def test_starttls_with_login_delivers_to_a_server_that_demands_both(pki, start_server):
    server = Server()
    port = start_server(server, tls_context=pki.server_context, require_starttls=True, auth_required=True)
    use(
        smtp_port=port,
        smtp_security="starttls",
        smtp_username=USER,
        smtp_password=PASSWORD,
        smtp_ca_file=str(pki.ca_file),
    )
    sent, key = await send("Over STARTTLS")

    assert sent
    assert server.logins == [USER]
    assert [m["Subject"] for m in server.messages] == ["Over STARTTLS"]
    assert server.messages[0].get_payload().strip() == "Body of Over STARTTLS"
    assert await SentMail.exists().where(SentMail.dedupe_key == key)
    assert await CaughtMail.count() == 0
    # The same key again: nothing is sent twice.
    assert await mail.deliver(["ann@example.org"], "Over STARTTLS", "again", key) is False
    assert len(server.messages) == 1


async def test_implicit_tls_with_login_delivers(pki, start_server):
    server = Server()
    # The whole connection is TLS; aiosmtpd only counts STARTTLS as TLS for offering AUTH.
    port = start_server(server, ssl_context=pki.server_context, auth_required=True, auth_require_tls=False)
    use(
        smtp_port=port,
        smtp_security="tls",
        smtp_username=USER,
        smtp_password=PASSWORD,
        smtp_ca_file=str(pki.ca_file),
    )
    sent, _key = await send("Over TLS")
    assert sent
    assert server.logins == [USER]
    assert [m["Subject"] for m in server.messages] == ["Over TLS"]


async def test_starttls_is_never_silently_skipped_when_the_server_does_not_offer_it(start_server):
    server = Server()
    port = start_server(server)  # no certificate: the server offers no STARTTLS
    use(smtp_port=port, smtp_security="starttls")
    with pytest.raises(smtplib.SMTPNotSupportedError, match="STARTTLS"):
        await send("Not in the clear")
    assert server.messages == []
    assert await SentMail.count() == 0


async def test_a_certificate_from_an_untrusted_ca_is_refused_and_nothing_is_sent(pki, start_server):
    server = Server()
    port = start_server(server, tls_context=pki.server_context, require_starttls=True, auth_required=True)
    use(
        smtp_port=port,
        smtp_security="starttls",
        smtp_username=USER,
        smtp_password=PASSWORD,
        smtp_ca_file=str(pki.other_ca_file),
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        await send("Never over an unverified connection")
    assert server.logins == [] and server.messages == []
    # The key is given back, so a retry (with the right CA) will send the mail.
    assert await SentMail.count() == 0


async def test_a_wrong_password_fails_and_the_mail_can_be_sent_later(pki, start_server):
    server = Server()
    port = start_server(server, tls_context=pki.server_context, require_starttls=True, auth_required=True)
    use(
        smtp_port=port,
        smtp_security="starttls",
        smtp_username=USER,
        smtp_password="wrong",
        smtp_ca_file=str(pki.ca_file),
    )
    key = f"test-smtp:{uuid.uuid4()}"
    with pytest.raises(smtplib.SMTPAuthenticationError):
        await mail.deliver(["ann@example.org"], "Login", "Body", key)
    assert server.messages == [] and await SentMail.count() == 0

    use(
        smtp_port=port,
        smtp_security="starttls",
        smtp_username=USER,
        smtp_password=PASSWORD,
        smtp_ca_file=str(pki.ca_file),
    )
    assert await mail.deliver(["ann@example.org"], "Login", "Body", key) is True
    assert [m["Subject"] for m in server.messages] == ["Login"]


# --- settings ---------------------------------------------------------------------------------


BASE = {"SECRET_KEY": "x" * 40, "SMTP_HOST": "smtp.example.org"}


def test_credentials_over_an_unencrypted_connection_are_refused_at_settings_load():
    with pytest.raises(ValueError, match=r"unencrypted connection.*SMTP_SECURITY"):
        Settings.from_env({**BASE, "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD})
    with pytest.raises(ValueError, match="unencrypted connection"):
        Settings.from_env({**BASE, "SMTP_SECURITY": "none", "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SMTP_SECURITY": "ssl"}, "SMTP_SECURITY must be one of none, starttls, tls"),
        ({"SMTP_SECURITY": "tls", "SMTP_USERNAME": USER}, "must be set together"),
        ({"SMTP_SECURITY": "tls", "SMTP_PASSWORD": PASSWORD}, "must be set together"),
        ({"SMTP_CA_FILE": "/nonexistent/ca.pem"}, "SMTP_CA_FILE /nonexistent/ca.pem"),
        ({"SMTP_TIMEOUT": "0"}, "SMTP_TIMEOUT"),
        ({"OUTBOX_MAX_ATTEMPTS": "0"}, "OUTBOX_MAX_ATTEMPTS"),
        ({"OUTBOX_STALE_AFTER": "-1"}, "OUTBOX_STALE_AFTER"),
    ],
)
def test_bad_mail_settings_are_refused_with_a_clear_message(env, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Settings.from_env({**BASE, **env})


def test_the_port_follows_the_security_unless_set():
    assert Settings.from_env(BASE).smtp_port == 25
    assert Settings.from_env({**BASE, "SMTP_SECURITY": "starttls"}).smtp_port == 587
    assert Settings.from_env({**BASE, "SMTP_SECURITY": "TLS"}).smtp_port == 465
    assert Settings.from_env({**BASE, "SMTP_SECURITY": "tls", "SMTP_PORT": "2465"}).smtp_port == 2465
    settings = Settings.from_env(
        {
            **BASE,
            "SMTP_SECURITY": "starttls",
            "SMTP_USERNAME": USER,
            "SMTP_PASSWORD": PASSWORD,
            "SMTP_TIMEOUT": "7.5",
        }
    )
    assert (settings.smtp_username, settings.smtp_timeout) == (USER, 7.5)
