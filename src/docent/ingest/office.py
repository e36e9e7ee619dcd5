"""Legacy and OpenDocument office files, converted by LibreOffice to the formats we parse.

``.doc``, ``.xls`` and ``.ppt`` (and OpenDocument spreadsheets and slides, WordPerfect, Works)
become ``.docx``, ``.xlsx`` and ``.pptx`` with ``soffice --headless --convert-to``, then go through
the normal parsers, so their headings, tables and slides keep their structure.

Each parser process has a LibreOffice profile of its own (``-env:UserInstallation``): two
conversions sharing a profile block each other, or hand the file to the other's running instance.
A conversion runs under :func:`docent.ingest.tools.run`'s time limit, which kills the whole process
group (``soffice`` starts ``soffice.bin``) when it hangs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

from docent.ingest.tools import ToolError, run

CONVERSIONS = {"doc": "docx", "dot": "docx", "wpd": "docx", "wps": "docx",
               "xls": "xlsx", "xlt": "xlsx", "ods": "xlsx",
               "ppt": "pptx", "pps": "pptx", "pot": "pptx", "odp": "pptx"}


@cache
def profile_folder() -> Path:
    """This process's LibreOffice profile folder, removed when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix=f"docent-soffice-{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def convert(data: bytes, kind: str, timeout_s: float) -> bytes:
    """``data`` (a ``kind`` file) as the modern format of :data:`CONVERSIONS`; raises ToolError."""
    target = CONVERSIONS[kind]
    with tempfile.TemporaryDirectory(prefix="docent-convert-") as work:
        source = Path(work) / f"document.{kind}"
        source.write_bytes(data)
        run(["soffice", f"-env:UserInstallation={profile_folder().as_uri()}", "--headless", "--norestore",
             "--nologo", "--nolockcheck", "--convert-to", target, "--outdir", work, str(source)],
            timeout_s=timeout_s, cwd=work, env={"HOME": str(profile_folder())})
        converted = Path(work) / f"document.{target}"
        if not converted.is_file() or converted.stat().st_size == 0:
            raise ToolError(f"LibreOffice could not read this .{kind} file (corrupt, or not really .{kind})")
        return converted.read_bytes()
