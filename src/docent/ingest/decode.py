"""Bytes to text for the text formats: BOM, UTF-16 without one, the declared charset, UTF-8, then a
detector trusted only for non-Latin scripts (unstructured's own guess fails on short cp1252 files)."""

from __future__ import annotations

import re

from docent.ingest.errors import ParseError

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
         (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode(data: bytes, declared: str | None = None) -> str:
    """Bytes to text: BOM, NULs (UTF-16 without BOM), declared charset, UTF-8, then a detector
    trusted only for non-Latin scripts: on short Western text it says cp1250 ("crčme"), so any
    Latin-script guess becomes cp1252 (latin-1 if cp1252 cannot decode it)."""
    import codecs

    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    head = data[:8192]
    if b"\x00" in head:  # text never holds NULs; UTF-16 without a BOM does
        text = data.decode("utf-16-be" if head[0::2].count(0) > head[1::2].count(0)
                           else "utf-16-le", errors="replace")
        if sum(c.isprintable() or c.isspace() for c in text[:4000]) < 0.95 * len(text[:4000]):
            raise ParseError("binary content, not text")
        return text
    with_latin1_as_cp1252 = {"iso8859-1": "cp1252", "ascii": "cp1252"}  # as browsers do
    for encoding in filter(None, (declared, "utf-8")):
        try:
            name = codecs.lookup(encoding).name
            return data.decode(with_latin1_as_cp1252.get(name, name))
        except (LookupError, UnicodeDecodeError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:65536]).best()
    guess = str(best) if best else ""
    if best is None or all(ord(c) < 0x250 or not c.isalpha() for c in guess):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return data.decode(best.encoding, errors="replace")


def html_text(data: bytes) -> str:
    """HTML declares its charset in a <meta> tag; honour it before guessing."""
    found = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", data[:4096], re.I)
    return decode(data, found.group(1).decode("ascii") if found else None)
