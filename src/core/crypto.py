"""Secrets at rest: encryption for what must be read back (an identity provider's client secret,
an ID token kept for sign-out) and keyed hashes for what is only looked up (an invitee's phone).

Both keys derive from RENDA_SECRET_KEY, so rotating it makes stored secrets unreadable: re-enter the
identity providers' secrets after a rotation (`renda idp add` replaces them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_keys: dict[str, bytes] = {}


def configure_secrets(secret_key: str) -> None:
    def derive(purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())

    _keys["encrypt"] = base64.urlsafe_b64encode(derive(b"renda:encrypt"))
    _keys["lookup"] = derive(b"renda:lookup")
    _keys["fingerprint"] = derive(b"renda:fingerprint")[:8]


def key_fingerprint() -> str:
    """Names the configured RENDA_SECRET_KEY without revealing it: an office export carries it, so
    an import under another key (whose data would be unreadable there) is noticed before it happens."""
    return _key("fingerprint").hex()


def _key(purpose: str) -> bytes:
    if purpose not in _keys:
        raise RuntimeError("configure_secrets() has not been called")
    return _keys[purpose]


def encrypt(plaintext: str) -> str:
    return Fernet(_key("encrypt")).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return Fernet(_key("encrypt")).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError("stored secret cannot be decrypted with the current RENDA_SECRET_KEY") from None


def lookup_hash(value: str) -> str:
    """A keyed hash for finding a record by a personal value without storing the value."""
    return hmac.new(_key("lookup"), value.encode(), hashlib.sha256).hexdigest()


def normalize_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-11:] if digits.startswith("86") and len(digits) == 13 else digits


def mask_phone(phone: str) -> str:
    digits = normalize_phone(phone)
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return (name[:1] + "***@" + domain) if domain else "***"
