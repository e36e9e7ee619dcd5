"""Is a file what its name says? The first bytes ("magic numbers") of each format ingestion reads.

Uploads are checked with it before they are kept: a file named ``.pdf`` that is not a PDF is refused
at the door with a plain reason, rather than stored, listed by the sensor and quarantined later with
a parser's puzzling error. Text formats have no magic number: a text file is one that has no NUL
byte (UTF-16 text, which has them, starts with its byte order mark) and is no binary format.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from typing import BinaryIO

HEAD_BYTES = 8192  # what is read to decide; the file is rewound afterwards
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (.doc, .xls, .ppt, Works) and Outlook .msg
ZIP = b"PK\x03\x04"
# A ZIP-based format is told apart by a member only it has.
ZIP_MEMBERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml",
               "epub": "META-INF/container.xml", "odt": "content.xml", "ods": "content.xml", "odp": "content.xml"}
TEXT_KINDS = frozenset({"txt", "md", "html", "xml", "csv", "tsv", "rst", "org", "eml"})
_BINARY = (b"%PDF-", ZIP, OLE2, b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\xffWPC", b"II*\x00", b"MM\x00*")


def _pdf(head: bytes) -> bool:
    return b"%PDF-" in head[:1024]  # readers accept a header anywhere in the first kilobyte


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _heic(head: bytes) -> bool:
    return head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1")


def _text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return b"\x00" not in head and not head.startswith(_BINARY)


def _starts(*magic: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(magic)


HEADS: dict[str, Callable[[bytes], bool]] = {
    "pdf": _pdf, "rtf": _starts(b"{\\rtf"), "wpd": _starts(b"\xffWPC"),
    **{k: _starts(OLE2) for k in ("doc", "dot", "xls", "xlt", "ppt", "pps", "pot", "wps", "msg")},
    **{k: _starts(ZIP) for k in ZIP_MEMBERS},
    "png": _starts(b"\x89PNG\r\n\x1a\n"), "jpg": _starts(b"\xff\xd8\xff"), "gif": _starts(b"GIF87a", b"GIF89a"),
    "bmp": _starts(b"BM"), "tiff": _starts(b"II*\x00", b"MM\x00*"), "webp": _webp, "heic": _heic,
    **{k: _text for k in TEXT_KINDS},
}


def matches(kind: str, file: BinaryIO) -> bool:
    """Whether ``file``'s content is a ``kind`` file (a kind of :data:`HEADS`; any other is not). Rewinds it."""
    check = HEADS.get(kind)
    try:
        head = file.read(HEAD_BYTES)
        if check is None or not check(head):
            return False
        if kind not in ZIP_MEMBERS:
            return True
        file.seek(0)
        try:
            return any(n.startswith(ZIP_MEMBERS[kind]) for n in zipfile.ZipFile(file).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
    finally:
        file.seek(0)
