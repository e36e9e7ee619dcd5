"""Parse one document's bytes into structured elements with unstructured.

Why the code looks the way it does (unstructured 0.27, installed without its [pdf] extra):
- Its paragraph classifier needs spaCy's ``en_core_web_sm``, which it pip-installs from GitHub
  at first use: that fails offline, and importing spaCy also imports torch (~5 s).
  ``light_nlp`` answers its three NLP calls with regexes instead: offline, deterministic,
  ~1.5 ms for a 1.5 kB text file. Only the Title/NarrativeText guess for unstyled paragraphs
  depends on it; headings from styles and tags do not.
- ``partition_pdf`` imports unstructured-inference (torch, layout models) even for "fast", and
  pdfminer's layout analysis costs ~0.5 s a page, so ``docent.ingest.pdf`` builds the elements
  itself from PDFium's lines (~40 ms a page) with unstructured's element classifier.
- Text is decoded by :mod:`docent.ingest.decode` (BOM, UTF-8, detector, cp1252): unstructured's
  guess fails on short cp1252 files.
- Scans and pictures are OCR'd (:mod:`docent.ingest.scan`, :mod:`docent.ingest.ocr`); legacy
  office files are converted by LibreOffice first (:mod:`docent.ingest.office`).
- Section paths: a Title opens a section at its ``category_depth`` (Markdown/HTML h1-h6, DOCX
  heading levels); a Title without one (plain text, PDF) is level 0 and replaces the previous
  one. A slide or a sheet is its own section; an e-mail's sections hang off its subject.
"""

from __future__ import annotations

import importlib
import io
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable

os.environ.setdefault("SCARF_NO_ANALYTICS", "true")  # unstructured phones home unless told not to
os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")

from docent.ingest import light_nlp  # noqa: E402
from docent.ingest.decode import decode, html_text  # noqa: E402
from docent.ingest.errors import ParseError  # noqa: E402
from docent.ingest.limits import ZIP_KINDS, check_elements, check_nesting, check_zip  # noqa: E402
from docent.ingest.ocr import OcrOptions, unavailable  # noqa: E402
from docent.ingest.office import CONVERSIONS, convert  # noqa: E402
from docent.ingest.pdf import partition_pdf  # noqa: E402
from docent.ingest.scan import IMAGE_KINDS, ScanError, ScanReport, partition_image  # noqa: E402
from docent.ingest.table import Table, from_html, render  # noqa: E402
from docent.ingest.tools import ToolError  # noqa: E402
from docent.settings import ParseSettings  # noqa: E402

light_nlp.install()


@dataclass(frozen=True)
class Element:
    text: str
    category: str  # unstructured's category: Title, NarrativeText, ListItem, Table, ...
    page: int | None  # 1-based page (PDF page, slide, sheet) where the format has pages
    section: tuple[str, ...]  # heading path, e.g. ("Handbook", "Leave", "Parental leave")
    table: Table | None = None  # a Table's structure: the chunker splits it by rows, repeating the header
    ocr: float | None = None  # the mean word confidence (0-100) when the text was OCR'd from a picture


@dataclass(frozen=True)
class ParsedDocument:
    elements: list[Element]
    file_type: str  # e.g. "pdf", "md"
    scan: ScanReport | None = None  # PDFs and pictures: pages, which were OCR'd, how confidently


_ALIASES = {"htm": "html", "xhtml": "html", "markdown": "md", "text": "txt", "log": "txt",
            "json": "txt", "ndjson": "txt", "jsonl": "txt", "jpeg": "jpg", "tif": "tiff"}
_PANDOC_KINDS = {"rtf", "epub", "odt", "rst", "org"}
_DROP = {"Header", "Footer", "PageNumber", "PageBreak", "Image"}
Partition = tuple[list[Any], ScanReport | None]  # unstructured's elements, and what OCR did


def parse_bytes(data: bytes, filename: str, settings: ParseSettings | None = None) -> ParsedDocument:
    """Parse ``data``; ``filename``'s extension picks the format (content is sniffed when it
    says nothing). Legacy office files are converted by LibreOffice first; scans and pictures
    are OCR'd as ``settings.ocr`` says. Bad input raises ParseError."""
    settings = settings or ParseSettings()
    if not data.strip():
        raise ParseError("empty file")
    kind = _kind(filename)
    if kind not in _PARTITIONERS and kind not in CONVERSIONS:
        kind = _sniff(data)
    if kind in ZIP_KINDS:
        check_zip(data, kind, settings.max_unzipped_mb, settings.max_zip_ratio)
    if kind in CONVERSIONS:
        data, kind = _converted(data, kind, settings.timeout_s), CONVERSIONS[kind]
    if kind in ("html", "xml"):
        check_nesting(data, kind)
    if kind not in _PARTITIONERS:
        raise ParseError(f"unsupported file type ({kind})")
    if kind in _PANDOC_KINDS and not _has_pandoc():
        raise ParseError(f"{kind.upper()} needs pandoc, which is not installed")
    ocr = OcrOptions.from_settings(settings)
    try:
        raw, scan = _PARTITIONERS[kind](data, settings.strategy, ocr)
        check_elements(len(raw), settings.max_elements_per_doc)
        elements = _to_elements(raw, kind)
    except (ParseError, MemoryError):  # the worker names the memory limit
        raise
    except (ToolError, ScanError) as exc:
        raise ParseError(exc.reason, "tool" if getattr(exc, "missing", False) else "parse") from exc
    except Exception as exc:  # unstructured and its readers raise anything on bad input
        raise ParseError(_explain(kind, exc)) from exc
    if not elements:
        raise _nothing(kind, scan, ocr)
    return ParsedDocument(elements=elements, file_type=kind, scan=scan)


def _converted(data: bytes, kind: str, timeout_s: float) -> bytes:
    try:
        return convert(data, kind, timeout_s)
    except ToolError as exc:
        reason = exc.reason if not exc.missing else f".{kind} {exc.reason}"
        raise ParseError(reason, "tool" if exc.missing else "parse") from exc


def _nothing(kind: str, scan: ScanReport | None, ocr: OcrOptions) -> ParseError:
    """Why a document gave no text at all."""
    if scan is None:
        return ParseError("no extractable text")
    if scan.blocked:
        return ParseError(f"no text layer (a scan?); {scan.blocked}", "tool")
    if scan.ocr_pages and scan.failed == scan.ocr_pages:
        return ParseError(f"OCR failed on every page ({scan.notes[-1]})")
    if scan.ocr_pages:
        return ParseError(f"OCR found no text on {scan.ocr_pages} page(s)")
    if ocr.mode == "off":
        return ParseError("no text layer (a scan?); OCR is off (parsing.ocr)")
    return ParseError("no text layer and nothing to OCR (blank pages?)")


def _image(data: bytes, _strategy: str, ocr: OcrOptions) -> Partition:
    if ocr.mode == "off":
        raise ParseError("an image file; OCR is off (parsing.ocr)")
    blocked = unavailable(ocr)
    if blocked:
        raise ParseError(f"an image file; {blocked}", "tool")
    return partition_image(data, ocr)


_MODULES = {"txt": ("text",), "md": ("md",), "html": ("html",), "xml": ("xml",), "csv": ("csv",),
            "tsv": ("tsv",), "docx": ("docx",), "pptx": ("pptx",), "xlsx": ("xlsx",),
            "eml": ("email",), "msg": ("msg",), "epub": ("epub",), "odt": ("odt",),
            "rtf": ("rtf",), "rst": ("rst",), "org": ("org",),
            "pdf": ("text",), **{k: ("text",) for k in IMAGE_KINDS}}
_MODULES.update({k: _MODULES[target] for k, target in CONVERSIONS.items()})


def preload(filenames: Iterable[str] | None = None) -> None:
    """Import the partitioners these files need (all of them by default) now, so that a worker's
    first document does not pay seconds of imports inside its time limit. Optional."""
    kinds = {_kind(name) for name in filenames} if filenames is not None else set(_MODULES)
    unknown = not kinds <= set(_MODULES)  # sniffed later: could be anything
    for kind, modules in _MODULES.items():
        if kind in kinds or unknown:
            for module in modules:
                importlib.import_module(f"unstructured.partition.{module}")


def _kind(filename: str) -> str:
    ext = PurePosixPath(filename).suffix.lower().lstrip(".")
    return _ALIASES.get(ext, ext)


def _sniff(data: bytes) -> str:
    """The format of a file whose extension says nothing: libmagic, else `filetype`, else text."""
    from unstructured.file_utils.filetype import detect_filetype

    try:
        name = detect_filetype(file=io.BytesIO(data)).name.lower()
    except Exception:  # noqa: BLE001 - detection is best effort
        name = "unk"
    return "txt" if name in ("unk", "empty") else _ALIASES.get(name, name)


@cache
def _has_pandoc() -> bool:
    """RTF, EPUB, ODT, RST and Org go through pandoc (pypandoc-binary ships one)."""
    try:
        import pypandoc

        return bool(pypandoc.get_pandoc_version())
    except (ImportError, OSError, RuntimeError):
        return False


# -- partitioning --------------------------------------------------------------------------------

# Linear in the line length: the title group cannot run past the line end, and the "has a word
# character" test is done in Python (a \w inside the group backtracks quadratically on long lines).
_UNDERLINED_RE = re.compile(r"^([^\r\n]+)\r?\n[ \t]*(?:=+|-+|~+)[ \t]*\r?$", re.M)


def _heading_line(match: re.Match) -> str:
    title = match.group(1)
    return f"\n{title}\n" if any(ch.isalnum() for ch in title) else match.group(0)


def _via(module: str, feed: str = "text", **kw: Any) -> Callable[[bytes, str], list[Any]]:
    """unstructured's ``partition_<module>``, fed the raw bytes ("file"), text we decoded
    ("text"), or (CSV/TSV, whose reader guesses encodings badly) that text as UTF-8 ("utf8")."""
    def run(data: bytes, _strategy: str, _ocr: OcrOptions) -> Partition:
        fn = getattr(importlib.import_module(f"unstructured.partition.{module}"),
                     f"partition_{module}")
        if feed == "file":
            return fn(file=io.BytesIO(data), languages=[""], **kw), None
        text = html_text(data) if module == "html" else decode(data)
        if module == "text":  # a heading underlined with === or --- becomes its own paragraph
            text = _UNDERLINED_RE.sub(_heading_line, text)
        if feed == "utf8":
            return fn(file=io.BytesIO(text.encode()), encoding="utf-8", languages=[""], **kw), None
        return fn(text=text, languages=[""], **kw), None
    return run


_PARTITIONERS: dict[str, Callable[[bytes, str, OcrOptions], Partition]] = {
    "pdf": partition_pdf, **{k: _image for k in IMAGE_KINDS}, "txt": _via("text"), "md": _via("md"), "html": _via("html"),
    "rst": _via("rst"), "org": _via("org"), "xml": _via("xml"),
    "csv": _via("csv", "utf8"), "tsv": _via("tsv", "utf8"),
    "docx": _via("docx", "file"), "epub": _via("epub", "file"), "odt": _via("odt", "file"),
    "rtf": _via("rtf", "file"), "pptx": _via("pptx", "file", include_slide_notes=True),
    "xlsx": _via("xlsx", "file", find_subtable=False),  # one Table per sheet
    "eml": _via("email", "file", process_attachments=False),  # attachments are documents
    "msg": _via("msg", "file", process_attachments=False),
}
PARSED_KINDS = frozenset(_PARTITIONERS) | frozenset(CONVERSIONS)  # what parse_bytes reads (legacy office via LibreOffice)
_ENCRYPTED = {"EncryptedPDF", "FileNotDecryptedError"}


def named_kind(filename: str) -> str | None:
    """The format ``filename``'s extension names when it is one of :data:`PARSED_KINDS`, else None."""
    kind = _kind(filename)
    return kind if kind in PARSED_KINDS else None


def _explain(kind: str, exc: Exception) -> str:
    """A short reason for the quarantine list, from whatever the parser raised."""
    name, detail = type(exc).__name__, " ".join(str(exc).split())
    detail = re.sub(r":? ?<[^<>]* at 0x[0-9a-fA-F]+>", "", detail)[:160]  # object reprs differ on every run
    if name in _ENCRYPTED:
        return "encrypted PDF (password required)"
    if isinstance(exc, ModuleNotFoundError):
        return f"{kind.upper()} parsing needs the Python package {exc.name!r}, which is missing"
    if name == "BadZipFile":
        return f"corrupt or malformed {kind.upper()} file (not a valid ZIP container)"
    return f"corrupt or malformed {kind.upper()} file ({name}: {detail})"


def _to_elements(raw: list[Any], kind: str) -> list[Element]:
    """unstructured elements -> ours: cleaned text, 1-based page, heading path from Titles."""
    out: list[Element] = []
    stack: list[tuple[int, str]] = []  # (depth, heading) of the open sections
    slide_titles = {el.metadata.page_number: " ".join(el.text.split()) for el in reversed(raw)
                    if kind == "pptx" and el.category == "Title"
                    and el.metadata.category_depth == 0}  # reversed: the first title wins
    sheet: object = None
    for el in raw:
        md, category = el.metadata, el.category
        table = from_html(md.text_as_html) if category == "Table" and md.text_as_html else None
        text = (render(table) if table else el.text or "").replace("\x00", "").strip()
        if category in _DROP or not text:
            continue
        if category == "Title" and _guessed_wrong(kind, md.category_depth, text):
            category = "UncategorizedText"
        if kind == "pptx":  # the slide title is the section, also of notes listed before it
            stack = [(0, slide_titles[md.page_number])] if md.page_number in slide_titles else []
        elif kind == "xlsx" and md.page_number != sheet:  # each sheet is a section
            sheet, stack = md.page_number, [(-1, md.page_name)] if md.page_name else []
        elif kind in ("eml", "msg") and not stack and md.subject:
            stack.append((-1, " ".join(md.subject.split())))
        if category == "Title" and kind != "pptx":
            depth = md.category_depth or 0
            while stack and stack[-1][0] >= depth:
                stack.pop()
            stack.append((depth, " ".join(text.split())[:200]))
        out.append(Element(text, category, md.page_number, tuple(h for _, h in stack), table,
                           getattr(md, "ocr_confidence", None)))
    return out


def _guessed_wrong(kind: str, depth: int | None, text: str) -> bool:
    """Titles guessed from text alone (no heading style or tag: depth None) that do not read as
    headings: lowercase starts, rotated text ("p e S 0 3"), e-mail signatures; and slide body
    lines that merely look like titles (pptx, depth > 0)."""
    if kind == "pptx":
        return bool(depth)
    words = text.split()
    return depth is None and (kind in ("eml", "msg") or text[0].islower()
                              or sum(len(w) == 1 for w in words) * 2 > len(words))

