"""A software authenticator for tests: it makes real passkeys (EC P-256 keys) and answers WebAuthn ceremonies
the way a browser and an authenticator together do (WebAuthn Level 3: clientDataJSON, authenticatorData,
"none" attestation, ES256 assertion signatures), built here byte by byte, independent of the server's library.

Each answer can be bent to play an attacker: another challenge, origin or relying party, or an old counter."""

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP, FLAG_UV, FLAG_BE, FLAG_BS, FLAG_AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | extra]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor(value) -> bytes:
    """CBOR (RFC 8949) for the types WebAuthn uses: integers, byte and text strings, maps."""
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode()
        return _cbor_head(3, len(data)) + data
    if isinstance(value, dict):
        return _cbor_head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        # COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y (RFC 9053).
        return cbor({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


@dataclass
class SoftwareAuthenticator:
    origin: str
    synced: bool = False  # a passkey a password manager syncs (backup eligible and backed up)
    credentials: dict[bytes, Credential] = field(default_factory=dict)

    def _flags(self, *extra: int) -> int:
        flags = FLAG_UP | FLAG_UV
        if self.synced:
            flags |= FLAG_BE | FLAG_BS
        for flag in extra:
            flags |= flag
        return flags

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def create(self, options: dict, *, challenge: str | None = None, origin: str | None = None,
               rp_id: str | None = None) -> dict:
        """navigator.credentials.create(): a new key pair for the relying party and user in `options`."""
        rp_id = rp_id or options["rp"]["id"]
        credential = Credential(
            credential_id=secrets.token_bytes(32), key=ec.generate_private_key(ec.SECP256R1()), rp_id=rp_id,
            user_handle=unb64url(options["user"]["id"]),
        )
        excluded = {unb64url(c["id"]) for c in options.get("excludeCredentials", [])}
        assert not excluded & set(self.credentials), "the authenticator already holds a credential for this user"
        attested = (
            bytes(16)  # AAGUID: all zero, as software authenticators report
            + struct.pack(">H", len(credential.credential_id)) + credential.credential_id
            + credential.cose_public_key()
        )
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([self._flags(FLAG_AT)]) + struct.pack(">I", 0)
        auth_data += attested
        client_data = self._client_data("webauthn.create", challenge or options["challenge"], origin or self.origin)
        self.credentials[credential.credential_id] = credential
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})),
                "transports": ["internal", "hybrid"],
            },
        }

    def get(self, options: dict, *, credential_id: bytes | None = None, challenge: str | None = None,
            origin: str | None = None, rp_id: str | None = None, sign_count: int | None = None) -> dict:
        """navigator.credentials.get(): sign the challenge with a credential for the relying party, one of
        `allowCredentials` when the options name some (else any: a discoverable credential)."""
        allowed = {unb64url(c["id"]) for c in options.get("allowCredentials", [])}
        if credential_id is None:
            usable = [c for c in self.credentials.values()
                      if c.rp_id == options["rpId"] and (not allowed or c.credential_id in allowed)]
            credential_id = usable[0].credential_id
        credential = self.credentials[credential_id]
        credential.sign_count = credential.sign_count + 1 if sign_count is None else sign_count
        auth_data = (
            hashlib.sha256((rp_id or credential.rp_id).encode()).digest()
            + bytes([self._flags()])
            + struct.pack(">I", credential.sign_count)
        )
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin or self.origin)
        signature = credential.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
        }
