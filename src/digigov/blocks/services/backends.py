"""Ports to the outside world for uploaded documents: the virus scanner every upload passes through before its
bytes are kept. The backend is chosen by `DIGIGOV_DOCUMENT_SCANNER`, like Django's `EMAIL_BACKEND`; an
adapter for a real engine (ClamAV's clamd INSTREAM, a cloud scanning API) only needs `name` and `scan`."""

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


def document_scanner() -> DocumentScanner:
    """The configured scanner; built per call so tests see changed settings at once."""
    return import_string(settings.DIGIGOV_DOCUMENT_SCANNER)()
