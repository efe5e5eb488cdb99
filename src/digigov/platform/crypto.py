"""Field encryption (AES-256-GCM) and blind indexes (HMAC-SHA256) for sensitive data elements.

Ciphertext layout: version byte, 12-byte nonce, ciphertext with tag. The version byte leaves room for
key rotation: a later key gets a new version and old rows stay readable until re-encrypted.
"""

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_VERSION = b"\x01"


def _aead() -> AESGCM:
    return AESGCM(settings.DIGIGOV_DATA_KEY)


def encrypt_text(*, plaintext: str, context: bytes) -> bytes:
    """Encrypt; `context` (e.g. b"person.national_id") is bound as associated data so a ciphertext
    copied into another column does not decrypt there."""
    nonce = os.urandom(12)
    return _VERSION + nonce + _aead().encrypt(nonce, plaintext.encode(), context)


def decrypt_text(*, ciphertext: bytes, context: bytes) -> str:
    ciphertext = bytes(ciphertext)
    if ciphertext[:1] != _VERSION:
        raise ValueError("Unknown ciphertext version")
    return _aead().decrypt(ciphertext[1:13], ciphertext[13:], context).decode()


def blind_index(*, value: str, context: bytes) -> str:
    """A keyed, deterministic digest for exact-match lookups without storing the value."""
    return hmac.new(settings.DIGIGOV_BLIND_INDEX_KEY, context + b":" + value.encode(), hashlib.sha256).hexdigest()
