"""The key-encryption key (KEK) port: wraps and unwraps data keys, like a cloud KMS would.

The platform never sees a cloud KMS's KEK: a KMS adapter only needs `current_kek_id`, `wrap` and `unwrap`
(AWS KMS Encrypt/Decrypt, Google Cloud KMS, Azure Key Vault wrapKey/unwrapKey, or an HSM all fit). The
local implementation below keeps the KEK in configuration or a key file, for single-machine deployments,
the demo and tests. The backend is chosen by `DIGIGOV_KMS_BACKEND`, like Django's `EMAIL_BACKEND`.
"""

import base64
import hashlib
import os
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.module_loading import import_string


class KeyUnavailable(Exception):
    """A data key cannot be unwrapped: its KEK is not configured, or the configured KEK is the wrong one."""


class KeyWrapper(Protocol):
    def current_kek_id(self) -> str:
        """The id of the KEK that `wrap` uses now; stored beside each wrapped data key."""
        ...

    def wrap(self, *, key: bytes, key_id: int) -> tuple[str, bytes]:
        """Encrypt a data key under the current KEK; returns (kek id, wrapped key)."""
        ...

    def unwrap(self, *, wrapped: bytes, kek_id: str, key_id: int) -> bytes:
        """The data key, or KeyUnavailable when the KEK named `kek_id` is not available or does not fit."""
        ...


def kek_id_of(kek: bytes) -> str:
    """A public name for a KEK, so a wrapped key says which KEK it needs without revealing it."""
    return hashlib.sha256(b"digigov:kek-id:" + kek).hexdigest()[:16]


def _decoded(value: str, *, source: str) -> bytes:
    try:
        kek = base64.b64decode(value.strip(), validate=True)
    except ValueError:
        raise KeyUnavailable(f"{source} is not valid base64") from None
    if len(kek) != 32:
        raise KeyUnavailable(f"{source} must be 32 bytes (base64), not {len(kek)}")
    return kek


class LocalKeyWrapper:
    """AES-256-GCM key wrapping with a KEK from `DIGIGOV_KEK_FILE` (first line the current KEK, later lines
    earlier KEKs still accepted for unwrapping) or `DIGIGOV_KEK` plus `DIGIGOV_KEK_PREVIOUS` (comma-separated)."""

    def __init__(self) -> None:
        keks: list[bytes] = []
        if path := settings.DIGIGOV_KEK_FILE:
            lines = [line for line in Path(path).read_text().splitlines() if line.strip()]
            if not lines:
                raise KeyUnavailable(f"The KEK file {path} is empty")
            keks = [_decoded(line, source=f"Line {n} of {path}") for n, line in enumerate(lines, start=1)]
        else:
            keks = [settings.DIGIGOV_KEK, *settings.DIGIGOV_KEK_PREVIOUS]
            for kek in keks:
                if len(kek) != 32:
                    raise KeyUnavailable("DIGIGOV_KEK and DIGIGOV_KEK_PREVIOUS keys must be 32 bytes (base64)")
        self._current = keks[0]
        self._by_id = {kek_id_of(kek): kek for kek in keks}

    def current_kek_id(self) -> str:
        return kek_id_of(self._current)

    def wrap(self, *, key: bytes, key_id: int) -> tuple[str, bytes]:
        nonce = os.urandom(12)
        return self.current_kek_id(), nonce + AESGCM(self._current).encrypt(nonce, key, _wrap_context(key_id))

    def unwrap(self, *, wrapped: bytes, kek_id: str, key_id: int) -> bytes:
        kek = self._by_id.get(kek_id)
        if kek is None:
            raise KeyUnavailable(
                f"Data key {key_id} is wrapped by KEK {kek_id}, which is not configured (configured: "
                f"{', '.join(self._by_id)}). Set DIGIGOV_KEK / DIGIGOV_KEK_FILE to the KEK in use."
            )
        try:
            return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], _wrap_context(key_id))
        except InvalidTag:
            raise KeyUnavailable(
                f"Data key {key_id} does not unwrap under KEK {kek_id}: the key row was altered"
            ) from None


def _wrap_context(key_id: int) -> bytes:
    # Binding the data key's id means a wrapped key copied onto another key's row does not unwrap.
    return b"digigov:data-key:" + str(key_id).encode()


def key_wrapper() -> KeyWrapper:
    """The configured KMS backend; built per call so tests and rotations see changed settings at once."""
    return import_string(settings.DIGIGOV_KMS_BACKEND)()
