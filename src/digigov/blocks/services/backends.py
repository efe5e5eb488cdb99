"""Ports to the outside world for uploaded documents: the virus scanner every upload passes through before its
bytes are kept. The backend is chosen by `DIGIGOV_DOCUMENT_SCANNER`, like Django's `EMAIL_BACKEND`: ClamAV's
clamd (`ClamdScanner`) in production; another engine (a cloud scanning API) only needs `name` and `scan`."""

import socket
import struct
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    threat: str = ""  # the engine's name for what it found


class DocumentScanner(Protocol):
    name: str

    def scan(self, *, content: bytes) -> ScanResult:
        """Look at the whole file. Called before the upload's transaction, so an engine may be a network call."""
        ...


class AcceptingScanner:
    """For deployments without a scanning engine yet: every file is accepted, and each document records that
    this scanner (not a real engine) passed it, so the files can be rescanned once one is configured."""

    name = "none"

    def scan(self, *, content: bytes) -> ScanResult:
        return ScanResult(clean=True)


# The EICAR anti-virus test file (https://www.eicar.org/download-anti-malware-testfile/): every engine reports
# it as a virus, so tests and acceptance checks can prove the hook works without handling real malware.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
_EICAR_TRAILER = b" \t\r\n\x1a"
_EICAR_MAX = 128


class EicarScanner:
    """Detects the EICAR test file as the standard defines it: the file starts with the 68-byte string, which
    may be followed by white space only, and is at most 128 bytes long."""

    name = "eicar"

    def scan(self, *, content: bytes) -> ScanResult:
        found = (
            len(content) <= _EICAR_MAX
            and content.startswith(EICAR)
            and not content[len(EICAR):].strip(_EICAR_TRAILER)
        )
        return ScanResult(clean=False, threat="EICAR-Test-File") if found else ScanResult(clean=True)


class ScannerUnavailable(Exception):
    """The scanning engine could not be reached or answered nonsense: the upload is refused, never let through."""


class ClamdScanner:
    """ClamAV's daemon over TCP (`DIGIGOV_CLAMD_ADDRESS`, host:port), with its INSTREAM command: the file goes in
    chunks, each prefixed by its 4-byte big-endian length, ended by a zero length; clamd answers
    `stream: OK` or `stream: <signature> FOUND`."""

    name = "clamd"
    chunk = 64 * 1024

    def scan(self, *, content: bytes) -> ScanResult:
        host, _sep, port = settings.DIGIGOV_CLAMD_ADDRESS.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=settings.DIGIGOV_CLAMD_TIMEOUT) as conn:
                conn.sendall(b"zINSTREAM\0")
                for start in range(0, len(content), self.chunk):
                    part = content[start : start + self.chunk]
                    conn.sendall(struct.pack(">I", len(part)) + part)
                conn.sendall(struct.pack(">I", 0))
                answer = b""
                while not answer.endswith(b"\0") and (received := conn.recv(4096)):
                    answer += received
        except (OSError, ValueError) as error:
            raise ScannerUnavailable(f"clamd at {settings.DIGIGOV_CLAMD_ADDRESS}: {error}") from error
        reply = answer.rstrip(b"\0").decode(errors="replace").strip()
        if reply == "stream: OK":
            return ScanResult(clean=True)
        if reply.startswith("stream: ") and reply.endswith(" FOUND"):
            return ScanResult(clean=False, threat=reply[len("stream: ") : -len(" FOUND")])
        raise ScannerUnavailable(f"clamd answered {reply!r}")


def document_scanner() -> DocumentScanner:
    """The configured scanner; built per call so tests see changed settings at once."""
    return import_string(settings.DIGIGOV_DOCUMENT_SCANNER)()
