"""Documents uploaded for applications: kept encrypted in their row with their facts, checked for size, viruses
(through the configured scanner) and type, and attached once to an application."""

import hashlib

import pytest

from digigov.blocks.services.actions import document_upload
from digigov.blocks.services.backends import EICAR, AcceptingScanner, EicarScanner
from digigov.blocks.services.errors import DocumentInfected, ScanUnavailable
from digigov.blocks.services.models import Document
from digigov.blocks.services.queries import document_content
from digigov.platform.crypto import DecryptionFailed
from digigov.platform.errors import ValidationFailed

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def owner(ssa_officer):
    return ssa_officer


def test_the_eicar_scanner_finds_the_test_file_as_the_standard_defines_it():
    scanner = EicarScanner()
    assert not scanner.scan(content=EICAR).clean
    assert scanner.scan(content=EICAR + b" \r\n\x1a").threat == "EICAR-Test-File"
    # Anything more than trailing white space, or a file over 128 bytes, is not the test file.
    assert scanner.scan(content=EICAR + b"more").clean
    assert scanner.scan(content=b"%PDF-1.4 " + EICAR).clean
    assert scanner.scan(content=EICAR + b" " * 61).clean


def test_the_default_scanner_accepts_everything_and_names_itself():
    assert AcceptingScanner().scan(content=EICAR).clean
    assert AcceptingScanner.name == "none"


def test_an_upload_is_stored_with_its_facts(owner):
    document = document_upload(owner=owner, filename="../../etc/scan.png", content=PNG)
    assert document.filename == "scan.png"  # no path from the sender reaches the record
    assert (document.content_type, document.size) == ("image/png", len(PNG))
    assert document.sha256 == hashlib.sha256(PNG).hexdigest()
    assert document.scan_status == "clean" and document.scanner == "none"
    assert document_content(document=document) == PNG
    # Kept encrypted and bound to its row: the stored bytes are not the file, and moved to another row they
    # do not decrypt.
    assert PNG[8:] not in bytes(document.content_encrypted)
    other = document_upload(owner=owner, filename="other.png", content=PNG)
    other.content_encrypted = document.content_encrypted
    with pytest.raises(DecryptionFailed):
        document_content(document=other)
    assert document.application_id is None


def test_the_type_comes_from_the_content_not_the_name(owner):
    with pytest.raises(ValidationFailed) as refused:
        document_upload(owner=owner, filename="scan.png", content=b"#!/bin/sh\nrm -rf /\n")
    assert "file" in refused.value.fields


def test_an_upload_over_the_limit_is_refused(owner, settings):
    settings.DIGIGOV_UPLOAD_MAX_SIZE = len(PNG) - 1
    with pytest.raises(ValidationFailed):
        document_upload(owner=owner, filename="scan.png", content=PNG)


def test_an_empty_upload_is_refused(owner):
    with pytest.raises(ValidationFailed):
        document_upload(owner=owner, filename="scan.png", content=b"")


def test_an_infected_upload_is_recorded_but_its_bytes_are_not_kept(owner, settings, tmp_path):
    settings.DIGIGOV_DOCUMENT_SCANNER = "digigov.blocks.services.backends.EicarScanner"
    with pytest.raises(DocumentInfected):
        document_upload(owner=owner, filename="eicar.com", content=EICAR)
    refused = Document.objects.get()
    assert (refused.scan_status, bytes(refused.content_encrypted), refused.scanner) == ("infected", b"", "eicar")
    assert not any(tmp_path.rglob("*"))


class ClamdStandIn:
    """A local stand-in for ClamAV's daemon speaking its INSTREAM protocol over TCP: it reassembles the chunks
    and answers FOUND for the EICAR test file, OK otherwise (or closes at once, to play an engine that is down)."""

    def __init__(self, *, broken: bool = False) -> None:
        import socketserver
        import struct
        import threading

        standin = self
        self.received: list[bytes] = []

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                if broken:
                    return
                stream = self.request.makefile("rb")
                assert stream.read(10) == b"zINSTREAM\0"
                content = b""
                while size := struct.unpack(">I", stream.read(4))[0]:
                    content += stream.read(size)
                standin.received.append(content)
                found = EicarScanner().scan(content=content)
                answer = b"stream: OK" if found.clean else b"stream: Eicar-Signature FOUND"
                self.request.sendall(answer + b"\0")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def clamd(settings):
    standin = ClamdStandIn()
    settings.DIGIGOV_DOCUMENT_SCANNER = "digigov.blocks.services.backends.ClamdScanner"
    settings.DIGIGOV_CLAMD_ADDRESS = standin.address
    yield standin
    standin.close()


def test_clamd_scans_each_upload_through_instream(owner, clamd):
    big = b"%PDF-1.4\n" + bytes(range(256)) * 600  # several INSTREAM chunks
    document = document_upload(owner=owner, filename="scan.pdf", content=big)
    assert document.scanner == "clamd" and clamd.received == [big]
    with pytest.raises(DocumentInfected):
        document_upload(owner=owner, filename="invoice.pdf", content=EICAR)
    refused = Document.objects.get(scan_status="infected")
    assert refused.scanner == "clamd"


def test_an_unreachable_scanner_refuses_the_upload_and_keeps_nothing(owner, settings):
    broken = ClamdStandIn(broken=True)
    settings.DIGIGOV_DOCUMENT_SCANNER = "digigov.blocks.services.backends.ClamdScanner"
    settings.DIGIGOV_CLAMD_ADDRESS = broken.address
    try:
        with pytest.raises(ScanUnavailable):
            document_upload(owner=owner, filename="scan.png", content=PNG)
    finally:
        broken.close()
    assert not Document.objects.exists()
