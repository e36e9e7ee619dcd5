"""Minimal valid PDFs written by hand for parser tests: US-letter pages from content streams."""

from __future__ import annotations

import zlib


def write_pdf(contents: list[str], fonts: tuple[str, ...] = ("Helvetica",)) -> bytes:
    """A PDF whose pages draw ``contents`` (PDF operators, cp1252), with the standard Type 1
    ``fonts`` as /F1, /F2, … on every page, and a correct xref table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]  # the page tree is filled in below
    first_font = 3 + 2 * len(contents)
    resources = " ".join(f"/F{i + 1} {first_font + i} 0 R" for i in range(len(fonts)))
    kids = []
    for ops in contents:
        content = zlib.compress(ops.encode("cp1252"))
        objects.append(f"<< /Length {len(content)} /Filter /FlateDecode >>\nstream\n".encode()
                       + content + b"\nendstream")
        kids.append(len(objects) + 1)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
                       f"{len(objects)} 0 R /Resources << /Font << {resources} >> >> >>".encode())
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    objects += [f"<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>".encode()
                for name in fonts]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def escape(text: str) -> str:
    """``text`` as a PDF literal string's content."""
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
