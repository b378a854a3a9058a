"""Passwords Convene keeps for other services (CalDAV app passwords), encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) with the keys in
``CREDENTIALS_KEYS``: a comma-separated list, the first encrypts, every one decrypts, so a key
is rotated by putting a new one first, running ``manage.py rotate_credentials`` (which
re-encrypts everything with it), then removing the old one. Without the variable the key is
derived from SECRET_KEY, so the embedded default needs nothing; rotating SECRET_KEY then makes
the stored passwords unreadable (their accounts ask to reconnect), which is why production sets
its own keys. A stored value never appears in logs, exports or the admin.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class Unreadable(Exception):
    """No configured key opens this value (the keys changed without a rotation)."""


def _fernet() -> MultiFernet:
    keys = list(settings.CREDENTIALS_KEYS)
    if not keys:
        derived = hashlib.sha256(b"convene-credentials:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise Unreadable("The stored password cannot be read with the configured keys.") from None


def rotate(token: str) -> str:
    """The same secret encrypted with the first key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise Unreadable("The stored password cannot be read with the configured keys.") from None


def new_key() -> str:
    return Fernet.generate_key().decode()
