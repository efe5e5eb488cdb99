"""The platform's Ed25519 sealing key (settings.DIGIGOV_SEALING_KEY or DIGIGOV_SEALING_KEY_FILE)."""

import base64
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from digigov.blocks.audit.integrity import key_id


@cache
def _private_key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def sealing_key() -> Ed25519PrivateKey:
    if settings.DIGIGOV_SEALING_KEY_FILE:
        seed = base64.b64decode(Path(settings.DIGIGOV_SEALING_KEY_FILE).read_text().strip())
    else:
        seed = settings.DIGIGOV_SEALING_KEY
    return _private_key(seed)


def public_key_bytes() -> bytes:
    """The raw 32-byte public key: all an auditor needs to check seals and proofs."""
    return sealing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_pem() -> str:
    return sealing_key().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def current_key_id() -> str:
    return key_id(public_key_bytes())


def signature_valid(*, public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except Exception:  # cryptography raises InvalidSignature, or ValueError for a malformed key
        return False
    return True
