"""Secrets the portal must read back (not only compare), kept encrypted at rest: a connected
service's webhook signing secret, which signing with HMAC needs in the clear.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under a key derived from the
SECRET_KEY setting; a row copied out of the database without that setting reveals nothing."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet

from src.settings import get_settings


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"portal sealed secrets\x00" + get_settings().secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    return _fernet().decrypt(sealed.encode()).decode()
