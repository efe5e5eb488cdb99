"""What kind of file an upload is, told from its own first bytes: the sender's Content-Type and file name are
not trusted, since a renamed executable would otherwise pass as a PDF."""

# (content type, the bytes such a file starts with)
SIGNATURES: tuple[tuple[str, bytes], ...] = (
    ("application/pdf", b"%PDF-"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF87a"),
    ("image/gif", b"GIF89a"),
    ("image/tiff", b"II*\x00"),
    ("image/tiff", b"MM\x00*"),
)


def content_type_of(content: bytes) -> str:
    """The recognised type, or application/octet-stream for anything else."""
    for content_type, magic in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return "application/octet-stream"
