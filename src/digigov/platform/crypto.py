"""Field encryption (AES-256-GCM under envelope data keys) and blind indexes (HMAC-SHA256).

Ciphertext layout, version 2: version byte 0x02, the data key's id (4 bytes, big-endian), 12-byte nonce,
ciphertext with tag. The associated data is the 5-byte header plus the caller's `context`, so a value
copied into another column (or, with `row_context`, another row) or relabelled with another key id does
not decrypt. Version 1 (0x01, nonce, ciphertext; key DIGIGOV_DATA_KEY) predates envelope encryption and
is still read until `digigov keys rotate` re-encrypts it. The key hierarchy is in docs/security.md.
"""

import hashlib
import hmac
import os
import struct
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from digigov.platform import keys

_LEGACY = 1
_ENVELOPE = 2
_HEADER = struct.Struct(">BI")
_NONCE = 12


class DecryptionFailed(ValueError):
    """The ciphertext was altered, moved to another column or row, or its key is not the one named."""


def row_context(*, context: bytes, row_id: int) -> bytes:
    """Associated data binding a value to its row as well as its column."""
    return context + b"#" + str(row_id).encode()


def envelope_header(key_id: int) -> bytes:
    return _HEADER.pack(_ENVELOPE, key_id)


def key_id_of(ciphertext: bytes) -> int | None:
    """The data key a ciphertext names, or None for a version 1 ciphertext."""
    version, key_id = _HEADER.unpack_from(ciphertext)
    return key_id if version == _ENVELOPE else None


def encrypt_bytes_many(
    *, plaintexts: Sequence[bytes], contexts: Sequence[bytes], key: keys.DataKeyInUse | None = None
) -> list[bytes]:
    """Encrypt many values under the primary data key (or `key`, looked up by a caller that must not touch
    the database, such as a forked generator): one key lookup and one call for all the nonces."""
    key_id, aead = key or keys.primary_key()
    header = envelope_header(key_id)
    nonces = os.urandom(_NONCE * len(plaintexts))
    out = []
    for i, (plaintext, context) in enumerate(zip(plaintexts, contexts, strict=True)):
        nonce = nonces[i * _NONCE : (i + 1) * _NONCE]
        out.append(header + nonce + aead.encrypt(nonce, plaintext, header + context))
    return out


def encrypt_many(
    *, plaintexts: Sequence[str], contexts: Sequence[bytes], key: keys.DataKeyInUse | None = None
) -> list[bytes]:
    """`encrypt_bytes_many` for text values (UTF-8)."""
    return encrypt_bytes_many(plaintexts=[p.encode() for p in plaintexts], contexts=contexts, key=key)


def encrypt_bytes(*, plaintext: bytes, context: bytes) -> bytes:
    """Encrypt one binary value (an uploaded document), bound to `context` like `encrypt_text`."""
    return encrypt_bytes_many(plaintexts=[plaintext], contexts=[context])[0]


def encrypt_text(*, plaintext: str, context: bytes) -> bytes:
    """Encrypt; `context` (e.g. b"person.national_id") is bound as associated data so a ciphertext
    copied into another column does not decrypt there."""
    return encrypt_many(plaintexts=[plaintext], contexts=[context])[0]


def decrypt_bytes_many(
    *, ciphertexts: Sequence[bytes], contexts: Sequence[bytes], key: keys.DataKeyInUse | None = None
) -> list[bytes]:
    """Decrypt many values; each data key is unwrapped once and then kept for the process. With `key`,
    values under that key decrypt without a database lookup."""
    out = []
    for ciphertext, context in zip(ciphertexts, contexts, strict=True):
        data = bytes(ciphertext)
        try:
            if data[:1] == b"\x01":
                nonce, body = data[1 : 1 + _NONCE], data[1 + _NONCE :]
                plaintext = AESGCM(settings.DIGIGOV_DATA_KEY).decrypt(nonce, body, context)
            elif data[:1] == b"\x02":
                header, nonce, body = data[:5], data[5 : 5 + _NONCE], data[5 + _NONCE :]
                key_id = _HEADER.unpack(header)[1]
                aead = key.aead if key is not None and key.id == key_id else keys.aead_for(key_id)
                plaintext = aead.decrypt(nonce, body, header + context)
            else:
                raise DecryptionFailed("Unknown ciphertext version")
        except InvalidTag:
            raise DecryptionFailed(
                f"A value does not decrypt in context {context.decode(errors='replace')!r}: altered, moved from "
                "another column or row, or encrypted under another key"
            ) from None
        out.append(plaintext)
    return out


def decrypt_many(
    *, ciphertexts: Sequence[bytes], contexts: Sequence[bytes], key: keys.DataKeyInUse | None = None
) -> list[str]:
    """`decrypt_bytes_many` for text values (UTF-8)."""
    return [p.decode() for p in decrypt_bytes_many(ciphertexts=ciphertexts, contexts=contexts, key=key)]


def decrypt_bytes(*, ciphertext: bytes, context: bytes) -> bytes:
    return decrypt_bytes_many(ciphertexts=[ciphertext], contexts=[context])[0]


def decrypt_text(*, ciphertext: bytes, context: bytes, key: keys.DataKeyInUse | None = None) -> str:
    return decrypt_many(ciphertexts=[ciphertext], contexts=[context], key=key)[0]


def _keyed_digest(*, key: bytes, value: str, context: bytes) -> str:
    return hmac.new(key, context + b":" + value.encode(), hashlib.sha256).hexdigest()


def blind_index(*, value: str, context: bytes) -> str:
    """A keyed, deterministic digest for exact-match lookups without storing the value (current key)."""
    return _keyed_digest(key=settings.DIGIGOV_BLIND_INDEX_KEY, value=value, context=context)


def blind_indexes(*, value: str, context: bytes) -> list[str]:
    """The value's index under the current key, then under each earlier key: what a lookup must match while
    `digigov keys rotate-index` moves stored indexes onto the current key."""
    return [
        _keyed_digest(key=key, value=value, context=context)
        for key in (settings.DIGIGOV_BLIND_INDEX_KEY, *settings.DIGIGOV_BLIND_INDEX_KEY_PREVIOUS)
    ]


def pseudonym(*, value: str, context: bytes) -> str:
    """A stable keyed pseudonym (pairwise subject ids, passkey user handles): unlike blind indexes, never
    rotated, because others keep it."""
    return _keyed_digest(key=settings.DIGIGOV_PSEUDONYM_KEY, value=value, context=context)
