"""Check a DigiGov audit inclusion proof offline, with the sealing public key alone (docs/audit.md).

    python verify_audit_proof.py proof.json PUBLIC_KEY_BASE64

Needs only the standard library and `cryptography`. Exits 0 and prints the entry when the proof holds.
"""

import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def check(proof: dict, public_key: bytes) -> str:
    canonical = proof["canonical"].encode("utf-8")
    node = hashlib.sha256(canonical).digest()
    fields = json.loads(canonical)
    if fields[0] != "digigov-audit-entry-v1" or fields[1] != proof["entry"]["id"]:
        raise ValueError("the canonical encoding is not this entry's")
    for step in proof["path"]:
        sibling = bytes.fromhex(step["hash"])
        node = hashlib.sha256(b"\x01" + (sibling + node if step["side"] == "left" else node + sibling)).digest()
    statement = proof["seal"]["statement"].encode("utf-8")
    Ed25519PublicKey.from_public_bytes(public_key).verify(base64.b64decode(proof["seal"]["signature"]), statement)
    seal = json.loads(statement)
    if seal["version"] != "digigov-audit-seal-v1" or bytes.fromhex(seal["root"]) != node:
        raise ValueError("the entry is not under the signed Merkle root")
    if not seal["first_entry_id"] <= fields[1] <= seal["last_entry_id"]:
        raise ValueError("the entry is outside the sealed batch")
    return f"entry {fields[1]} ({fields[6]}, {fields[2]}) is in the log, sealed at {seal['signed_at']}"


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as file:
        proof = json.load(file)
    try:
        print("VALID:", check(proof, base64.b64decode(sys.argv[2])))
    except Exception as problem:  # any failure means the proof does not hold
        print("INVALID:", str(problem) or type(problem).__name__)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
