"""One typed settings object, read once from the environment (a `.env` file is allowed)."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv
from stdnum import bic, iban
from stdnum.eu import vat
from stdnum.exceptions import ValidationError
from stdnum.se import orgnr

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class IdentityProvider:
    """An OpenID provider people sign in with.

    kind "eid": the person is matched on a personal identity number claim;
    kind "smartcard": on the card-holder claim (HSA-id, UZI number).
    """

    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    kind: str = "eid"
    claim: str = "personal_identity_number"
    assurance: str = "substantial"
    staff: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> IdentityProvider:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        provider = cls(**known)  # type: ignore[arg-type]
        if provider.kind not in ("eid", "smartcard"):
            raise ValueError(f"identity provider {provider.name}: kind must be eid or smartcard")
        return provider


@dataclass(frozen=True)
class ThirdPartyPayer:
    """A third party that pays certificate fees for organisations (rule BIL-4, e.g. VZVZ), as the
    buyer on its invoices: `key` is the payer name a vendor admin gives when confirming a
    reimbursement; `registration` its KvK number (NL) or organisationsnummer (SE); `peppol_id`
    its Peppol participant id ("0106:12345678") when it receives e-invoices over Peppol; `email`
    where its invoices are mailed (the organisation paid for gets none, rule BIL-4)."""

    key: str
    name: str = ""
    address: tuple[str, ...] = ()
    country: str = "NL"
    vat_number: str = ""
    registration: str = ""
    peppol_id: str = ""
    email: str = ""

    @classmethod
    def from_dict(cls, key: str, data: dict[str, object]) -> ThirdPartyPayer:
        address = data.get("address") or ()
        lines = address.split(";") if isinstance(address, str) else [str(x) for x in address]  # type: ignore[attr-defined]
        return cls(
            key=key,
            name=str(data.get("name") or key).strip(),
            address=tuple(line.strip() for line in lines if line.strip()),
            country=str(data.get("country") or "NL").strip().upper(),
            vat_number=_compact(str(data.get("vat_number") or "")),
            registration=_compact(str(data.get("registration") or "")),
            peppol_id=str(data.get("peppol_id") or "").strip(),
            email=str(data.get("email") or "").strip(),
        )


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


SMTP_SECURITY_MODES = ("none", "starttls", "tls")
SMTP_DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    sqlite_path: Path = ROOT / "var" / "portal.sqlite3"
    redis_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    debug: bool = False
    secure_cookies: bool = False
    session_max_age: int = 3 * 3600
    smtp_host: str = ""
    smtp_port: int = 25
    # "none" (plain SMTP), "starttls" (upgrade on connect) or "tls" (implicit TLS, port 465).
    smtp_security: str = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 30.0
    # A PEM file of the certificate authorities trusted for the SMTP server's certificate,
    # instead of the system's; empty: the system's trust store.
    smtp_ca_file: str = ""
    mail_from: str = "portal@localhost"
    demo_oidc_port: int = 8001
    identity_providers: tuple[IdentityProvider, ...] = field(default_factory=tuple)
    signin_rate_limit: int = 20
    api_rate_limit: int = 600
    # Addresses or networks of the reverse proxies whose X-Forwarded-For is believed; none by
    # default, so the client's address is the connection's own.
    trusted_proxies: tuple[str, ...] = ()
    # The vendor's service desk, shown in every page's footer, on /revoke and on the revocation
    # form (rule REV-5). The postal address is a tuple of lines.
    service_desk_name: str = ""
    service_desk_email: str = ""
    service_desk_phone: str = ""
    service_desk_address: tuple[str, ...] = ()
    # The vendor's country (ISO 3166 code): whose VAT rate domestic customers pay.
    vendor_country: str = "NL"
    # Suspension for non-payment (rule BIL-10): "manual" (vendor admins decide, from the list of
    # organisations at risk) or "automatic" (the daily reminder job suspends an organisation as
    # soon as one of its own invoices is handed to collection).
    suspension_policy: str = "manual"
    # The vendor as the legal entity on invoices (src/core/vendor.py gives them to documents):
    # name, postal address lines, VAT number (compact), KvK number, bank account.
    vendor_name: str = ""
    vendor_address: tuple[str, ...] = ()
    vendor_vat_number: str = ""
    vendor_chamber_of_commerce: str = ""
    vendor_iban: str = ""
    vendor_bic: str = ""
    # Days after the invoice date an invoice is due.
    payment_term_days: int = 30
    # Third parties paying fees (rule BIL-4) as buyers on their invoices, by payer name
    # (THIRD_PARTY_PAYERS, JSON: {"VZVZ": {"name": ..., "address": "line; line", "country": "NL",
    # "registration": KvK, "vat_number": ..., "peppol_id": ..., "email": where invoices go}}).
    third_party_payers: tuple[ThirdPartyPayer, ...] = ()
    # 0: invoices are final at once; more: drafts wait that many days for a vendor admin's review.
    invoice_review_days: int = 0
    # The catalogue's prices are the demonstration's examples (`run-demo`): pages with prices say so.
    example_prices: bool = False
    var_dir: Path = ROOT / "var"
    # Encrypts the CA private keys at rest (PKCS#8, BestAvailableEncryption). The embedded
    # default derives it from SECRET_KEY; production sets CA_KEY_PASSPHRASE of its own.
    ca_key_passphrase: str = ""
    # A claimed outbox row not done after this many seconds is handed to the relay again; after
    # `outbox_max_attempts` hand-overs it is marked failed instead.
    outbox_stale_after: float = 600.0
    outbox_max_attempts: int = 5
    outbox_sweep_interval: float = 60.0
    # Seconds between two runs of the scheduled outbox relay (`portal worker --relay-interval`).
    outbox_relay_interval: float = 1.0
    # A leader of the schedule that stops renewing its Redis lock loses it after this many seconds;
    # the processes standing by try to take over every third of it (src.workers.scheduler).
    scheduler_lock_ttl: float = 30.0
    # Online payment through Stripe; all empty: the portal takes no online payments.
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    # The payment method types offered in Stripe's Payment Element.
    stripe_payment_methods: tuple[str, ...] = ("card", "ideal", "sepa_debit")
    # Another Stripe API address (an emulator in tests); empty: Stripe's own.
    stripe_api_base: str = ""

    def __post_init__(self) -> None:
        if self.smtp_security not in SMTP_SECURITY_MODES:
            raise ValueError(
                f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_MODES)}, not {self.smtp_security!r}"
            )
        if bool(self.smtp_username) != bool(self.smtp_password):
            raise ValueError("SMTP_USERNAME and SMTP_PASSWORD must be set together")
        if self.smtp_username and self.smtp_security == "none":
            raise ValueError(
                "refusing to send SMTP_USERNAME and SMTP_PASSWORD over an unencrypted connection: "
                "set SMTP_SECURITY to starttls or tls"
            )
        if self.smtp_timeout <= 0:
            raise ValueError("SMTP_TIMEOUT must be a positive number of seconds")
        if self.smtp_ca_file and not Path(self.smtp_ca_file).is_file():
            raise ValueError(f"SMTP_CA_FILE {self.smtp_ca_file} is not a readable file")
        if self.outbox_stale_after <= 0 or self.outbox_sweep_interval <= 0 or self.outbox_relay_interval <= 0:
            raise ValueError(
                "OUTBOX_STALE_AFTER, OUTBOX_SWEEP_INTERVAL and OUTBOX_RELAY_INTERVAL must be positive seconds"
            )
        if self.scheduler_lock_ttl < 1:
            raise ValueError("SCHEDULER_LOCK_TTL must be at least 1 second")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES: {proxy!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
                ) from None
        if self.suspension_policy not in ("manual", "automatic"):
            raise ValueError(f"SUSPENSION_POLICY {self.suspension_policy!r} is not manual or automatic")
        if self.service_desk_email and "@" not in self.service_desk_email:
            raise ValueError(f"SERVICE_DESK_EMAIL {self.service_desk_email!r} is not an e-mail address")
        if self.outbox_max_attempts < 1:
            raise ValueError("OUTBOX_MAX_ATTEMPTS must be at least 1")
        _check_vendor(self)
        _check_stripe(self)

    @property
    def stripe_enabled(self) -> bool:
        """Online payment is offered only when Stripe's keys are set."""
        return bool(self.stripe_secret_key)

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def broker_is_redis(self) -> bool:
        return bool(self.redis_url)

    def third_party_payer(self, name: str) -> ThirdPartyPayer:
        """The details of a third-party payer by its name; only the name when none are set."""
        for payer in self.third_party_payers:
            if payer.key.casefold() == name.strip().casefold():
                return payer
        return ThirdPartyPayer(key=name, name=name)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        if env is None:
            load_dotenv(ROOT / ".env", override=False)
            env = dict(os.environ)
        var_dir = Path(env.get("PORTAL_VAR_DIR") or ROOT / "var")
        providers_raw = env.get("OIDC_PROVIDERS", "")
        providers: tuple[IdentityProvider, ...] = ()
        if providers_raw:
            providers = tuple(IdentityProvider.from_dict(p) for p in json.loads(providers_raw))
        secret = env.get("SECRET_KEY") or _stable_dev_secret(var_dir)
        base_url = env.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        smtp_security = (env.get("SMTP_SECURITY") or "none").strip().lower()
        return cls(
            database_url=env.get("DATABASE_URL", ""),
            sqlite_path=Path(env.get("SQLITE_PATH") or var_dir / "portal.sqlite3"),
            redis_url=env.get("REDIS_URL", ""),
            secret_key=secret,
            base_url=base_url,
            debug=_bool(env.get("DEBUG")),
            secure_cookies=_bool(env.get("SECURE_COOKIES"), default=base_url.startswith("https://")),
            session_max_age=int(env.get("SESSION_MAX_AGE", 3 * 3600)),
            smtp_host=env.get("SMTP_HOST", ""),
            smtp_port=int(env.get("SMTP_PORT") or SMTP_DEFAULT_PORTS.get(smtp_security, 25)),
            smtp_security=smtp_security,
            smtp_username=env.get("SMTP_USERNAME", ""),
            smtp_password=env.get("SMTP_PASSWORD", ""),
            smtp_timeout=float(env.get("SMTP_TIMEOUT") or 30),
            smtp_ca_file=env.get("SMTP_CA_FILE", ""),
            mail_from=env.get("MAIL_FROM", "portal@localhost"),
            demo_oidc_port=int(env.get("DEMO_OIDC_PORT", 8001)),
            identity_providers=providers,
            signin_rate_limit=int(env.get("SIGNIN_RATE_LIMIT", 20)),
            api_rate_limit=int(env.get("API_RATE_LIMIT", 600)),
            trusted_proxies=tuple(env.get("TRUSTED_PROXIES", "").replace(",", " ").split()),
            service_desk_name=env.get("SERVICE_DESK_NAME", "").strip(),
            service_desk_email=env.get("SERVICE_DESK_EMAIL", "").strip(),
            service_desk_phone=env.get("SERVICE_DESK_PHONE", "").strip(),
            service_desk_address=tuple(
                line.strip() for line in env.get("SERVICE_DESK_ADDRESS", "").split(";") if line.strip()
            ),
            vendor_country=(env.get("VENDOR_COUNTRY") or "NL").strip().upper(),
            suspension_policy=(env.get("SUSPENSION_POLICY") or "manual").strip().lower(),
            vendor_name=env.get("VENDOR_NAME", "").strip(),
            vendor_address=tuple(
                line.strip() for line in env.get("VENDOR_ADDRESS", "").split(";") if line.strip()
            ),
            vendor_vat_number=_compact(env.get("VENDOR_VAT_NUMBER", "")),
            vendor_chamber_of_commerce=_compact(env.get("VENDOR_CHAMBER_OF_COMMERCE", "")),
            vendor_iban=_compact(env.get("VENDOR_IBAN", "")),
            vendor_bic=_compact(env.get("VENDOR_BIC", "")),
            payment_term_days=_whole_number(env, "PAYMENT_TERM_DAYS", 30),
            third_party_payers=tuple(
                ThirdPartyPayer.from_dict(str(key), value)
                for key, value in json.loads(env.get("THIRD_PARTY_PAYERS") or "{}").items()
            ),
            invoice_review_days=_whole_number(env, "INVOICE_REVIEW_DAYS", 0),
            example_prices=_bool(env.get("EXAMPLE_PRICES")),
            var_dir=var_dir,
            ca_key_passphrase=env.get("CA_KEY_PASSPHRASE") or _derived_ca_passphrase(secret),
            outbox_stale_after=float(env.get("OUTBOX_STALE_AFTER") or 600),
            outbox_max_attempts=int(env.get("OUTBOX_MAX_ATTEMPTS") or 5),
            outbox_sweep_interval=float(env.get("OUTBOX_SWEEP_INTERVAL") or 60),
            outbox_relay_interval=float(env.get("OUTBOX_RELAY_INTERVAL") or 1),
            scheduler_lock_ttl=float(env.get("SCHEDULER_LOCK_TTL") or 30),
            stripe_secret_key=env.get("STRIPE_SECRET_KEY", "").strip(),
            stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY", "").strip(),
            stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", "").strip(),
            stripe_payment_methods=tuple(
                m.strip().lower()
                for m in (env.get("STRIPE_PAYMENT_METHODS") or "card,ideal,sepa_debit").split(",")
                if m.strip()
            ),
            stripe_api_base=env.get("STRIPE_API_BASE", "").strip().rstrip("/"),
        )


def _compact(value: str) -> str:
    """An identifier without spaces, dots or hyphens, upper case (as registers write them)."""
    return "".join(ch for ch in value if ch not in " .-\t").upper()


def _whole_number(env: dict[str, str], variable: str, default: int) -> int:
    text = (env.get(variable) or "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{variable} must be a whole number of days, not {text!r}") from None


def _check_vendor(settings: Settings) -> None:
    """The vendor's details on invoices, checked as their registers define them (python-stdnum):
    a bad value stops the portal at start-up, naming the variable. The KvK number has 8 digits;
    a Swedish vendor (VENDOR_COUNTRY=SE) gives its organisationsnummer there instead."""
    for variable, value, module, what in (
        ("VENDOR_VAT_NUMBER", settings.vendor_vat_number, vat, "EU VAT number, such as NL100000009B01"),
        ("VENDOR_IBAN", settings.vendor_iban, iban, "IBAN, such as NL91ABNA0417164300"),
        ("VENDOR_BIC", settings.vendor_bic, bic, "BIC, such as ABNANL2A"),
    ):
        if not value:
            continue
        try:
            module.validate(value)
        except ValidationError as exc:
            raise ValueError(f"{variable} {value!r} is not a valid {what} ({exc})") from None
    coc = settings.vendor_chamber_of_commerce
    if coc and settings.vendor_country == "SE" and not orgnr.is_valid(coc):
        raise ValueError(f"VENDOR_CHAMBER_OF_COMMERCE {coc!r} is not an organisationsnummer (10 digits)")
    if coc and settings.vendor_country != "SE" and not (len(coc) == 8 and coc.isascii() and coc.isdigit()):
        raise ValueError(f"VENDOR_CHAMBER_OF_COMMERCE {coc!r} is not a KvK number (8 digits)")
    if not 0 <= settings.payment_term_days <= 365:
        raise ValueError("PAYMENT_TERM_DAYS must be between 0 and 365 days")
    if not 0 <= settings.invoice_review_days <= 60:
        raise ValueError("INVOICE_REVIEW_DAYS must be between 0 and 60 days")
    for payer in settings.third_party_payers:
        if payer.vat_number and not vat.is_valid(payer.vat_number):
            raise ValueError(
                f"THIRD_PARTY_PAYERS {payer.key}: {payer.vat_number!r} is not a valid EU VAT number"
            )
        if len(payer.country) != 2 or not payer.country.isalpha():
            raise ValueError(f"THIRD_PARTY_PAYERS {payer.key}: country must be a two-letter code")
        if payer.email and not _looks_like_email(payer.email):
            raise ValueError(f"THIRD_PARTY_PAYERS {payer.key}: {payer.email!r} is not an e-mail address")


def _looks_like_email(text: str) -> bool:
    """One address: a local part, an @ and a domain with a dot, no spaces or commas."""
    local, at, domain = text.partition("@")
    return bool(local and at and "." in domain.strip(".") and not any(c in text for c in " ,;<>\t\r\n"))


STRIPE_METHODS = ("card", "ideal", "sepa_debit")


def _check_stripe(settings: Settings) -> None:
    """Stripe's settings go together: a secret key needs the publishable key and the webhook
    secret, and only the payment methods the portal knows are offered."""
    keys = {
        "STRIPE_SECRET_KEY": settings.stripe_secret_key,
        "STRIPE_PUBLISHABLE_KEY": settings.stripe_publishable_key,
        "STRIPE_WEBHOOK_SECRET": settings.stripe_webhook_secret,
    }
    if any(keys.values()) and not all(keys.values()):
        missing = ", ".join(name for name, value in keys.items() if not value)
        raise ValueError(f"Stripe is partly configured: set {missing} as well (or none of them)")
    if settings.stripe_secret_key and not settings.stripe_secret_key.startswith(("sk_", "rk_")):
        raise ValueError("STRIPE_SECRET_KEY must be a secret key (sk_… or rk_…)")
    if settings.stripe_publishable_key and not settings.stripe_publishable_key.startswith("pk_"):
        raise ValueError("STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_…)")
    if settings.stripe_webhook_secret and not settings.stripe_webhook_secret.startswith("whsec_"):
        raise ValueError("STRIPE_WEBHOOK_SECRET must be a webhook signing secret (whsec_…)")
    unknown = [m for m in settings.stripe_payment_methods if m not in STRIPE_METHODS]
    if unknown or not settings.stripe_payment_methods:
        choice = ", ".join(STRIPE_METHODS)
        raise ValueError(f"STRIPE_PAYMENT_METHODS must be a comma-separated choice of {choice}")
    base = settings.stripe_api_base
    if base and not base.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError("STRIPE_API_BASE must be an https:// address (http:// only on loopback)")


def _derived_ca_passphrase(secret: str) -> str:
    """A passphrase for the CA keys derived from SECRET_KEY (HMAC with a fixed label), so the
    embedded default needs no second secret and the passphrase is never the session secret."""
    import hashlib
    import hmac

    return hmac.new(secret.encode(), b"portal ca key passphrase v1", hashlib.sha256).hexdigest()


def _stable_dev_secret(var_dir: Path) -> str:
    """The embedded default keeps a generated secret under var/ so sessions survive restarts."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def override_settings(settings: Settings | None) -> None:
    """Used by tests and the CLI to install a settings object."""
    global _settings
    _settings = settings
