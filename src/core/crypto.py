"""Secrets at rest: encryption for what must be read back (an identity provider's client secret,
an ID token kept for sign-out, ID and phone numbers) and keyed hashes for what is only looked up
(an invitee's phone, a person's ID number).

Both keys derive from RENDA_SECRET_KEY. To rotate it, set the new key as RENDA_SECRET_KEY and the
old one as RENDA_SECRET_KEY_OLD in every process, then run `renda keys rotate` (docs/operations.md):
meanwhile what the old key encrypted still decrypts, and invitations hashed under it still match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_keys: dict[str, bytes] = {}
_old_keys: list[dict[str, bytes]] = []


def _derive_all(secret_key: str) -> dict[str, bytes]:
    def derive(purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())

    return {
        "encrypt": base64.urlsafe_b64encode(derive(b"renda:encrypt")),
        "lookup": derive(b"renda:lookup"),
        "fingerprint": derive(b"renda:fingerprint")[:8],
    }


def configure_secrets(secret_key: str, old_keys: Sequence[str] = ()) -> None:
    """`old_keys`: keys being rotated away from (RENDA_SECRET_KEY_OLD), still accepted for reading."""
    _keys.clear()
    _keys.update(_derive_all(secret_key))
    _old_keys[:] = [_derive_all(old) for old in old_keys if old and old != secret_key]


def key_fingerprint() -> str:
    """Names the configured RENDA_SECRET_KEY without revealing it: an office export carries it, so
    an import under another key (whose data would be unreadable there) is noticed before it happens."""
    return _key("fingerprint").hex()


def old_key_fingerprints() -> list[str]:
    return [old["fingerprint"].hex() for old in _old_keys]


def _key(purpose: str) -> bytes:
    if purpose not in _keys:
        raise RuntimeError("configure_secrets() has not been called")
    return _keys[purpose]


def encrypt(plaintext: str) -> str:
    return Fernet(_key("encrypt")).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    fernets = [Fernet(_key("encrypt")), *(Fernet(old["encrypt"]) for old in _old_keys)]
    try:
        return MultiFernet(fernets).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError("stored secret cannot be decrypted with the current RENDA_SECRET_KEY") from None


def under_current_key(ciphertext: str) -> bool:
    """Whether the current key alone decrypts it (rotation skips these: it can be run again)."""
    try:
        Fernet(_key("encrypt")).decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def lookup_hash(value: str) -> str:
    """A keyed hash for finding a record by a personal value without storing the value."""
    return hmac.new(_key("lookup"), value.encode(), hashlib.sha256).hexdigest()


def lookup_hashes(value: str) -> list[str]:
    """The hash under the current key and under each old one: for records that cannot be re-hashed
    (an invitation keeps no contact to hash again) while a rotation is under way."""
    return [
        lookup_hash(value),
        *(hmac.new(old["lookup"], value.encode(), hashlib.sha256).hexdigest() for old in _old_keys),
    ]


def normalize_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-11:] if digits.startswith("86") and len(digits) == 13 else digits


def mask_phone(phone: str) -> str:
    digits = normalize_phone(phone)
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return (name[:1] + "***@" + domain) if domain else "***"
