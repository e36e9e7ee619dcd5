"""Scans, pictures and legacy office files: what gets indexed, how accurately OCR reads, how fast.

    python benchmarks/ocr.py --fixtures ../shared/data/parser-fixtures/example-docs [--pages 50]

1. The parser fixtures through the real pipeline: indexed, quarantined (with reasons), OCR'd.
2. Character accuracy against the hand-typed references in tests/fixtures/ocr (1 - edit distance
   / reference length, whitespace collapsed) and the share of reference words found.
3. Speed: one dense 300 dpi A4 page of text with one Tesseract process (pages/s per core); a
   scanned PDF of ``--pages`` such pages on all cores, with peak memory; what ``parsing.ocr: auto``
   costs on a PDF with a text layer (against ``off``, same file, best of 3).
4. LibreOffice: the first conversion in a process (start-up, new profile) and the steady state.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from docent.ingest import office
from docent.ingest.ocr import OcrOptions, recognise
from docent.ingest.parse import parse_bytes
from docent.settings import ParseSettings, load_settings
from docent.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = ROOT / "tests" / "fixtures" / "ocr"
SOURCES = {"loremipsum-flat.txt": ["pdf/loremipsum-flat.pdf"],
           "table-multi-row-column-cells.txt": ["img/table-multi-row-column-cells.png",
                                                "pdf/table-multi-row-column-cells.pdf"]}


def fixtures(folder: Path) -> dict:
    data = Path(tempfile.mkdtemp(prefix="docent-bench-ocr-"))
    try:
        ws = Workspace(load_settings(data_dir=data))
        started = time.perf_counter()
        report = ws.ingest(str(folder))
        seconds = time.perf_counter() - started
        records = ws.manifest.all().values()
        scanned = {Path(r.source_uri).name: r.ocr_pages for r in records if r.ocr_pages}
        ws.close()
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return {"files": len(report.new) + len(report.quarantined), "indexed": len(report.new),
            "quarantined": {Path(u).name: why for u, why in sorted(report.quarantined.items())},
            "ocr_pages_by_file": scanned, "seconds": round(seconds, 1)}


def accuracy(folder: Path) -> list[dict]:
    rows = []
    for reference, sources in SOURCES.items():
        truth = " ".join((REFERENCES / reference).read_text().split())
        for source in sources:
            doc = parse_bytes((folder / source).read_bytes(), source.rsplit("/", 1)[-1])
            read = " ".join(" ".join(e.text for e in doc.elements).split())
            words = re.findall(r"\S+", truth)
            found = set(re.findall(r"\S+", read))
            rows.append({"file": source, "characters": len(truth),
                         "char_accuracy": round(1 - Levenshtein.distance(read, truth) / len(truth), 4),
                         "word_recall": round(sum(w in found for w in words) / len(words), 4),
                         "confidence": round(doc.scan.confidence or 0, 1)})
    return rows


def text_page(seed: int) -> Image.Image:
    """A dense A4 page at 300 dpi: the Lorem reference text, 11-point, as a scanner gives it."""
    lines = (REFERENCES / "loremipsum-flat.txt").read_text().splitlines() * 2
    picture = Image.new("L", (2480, 3508), 255)
    draw, font = ImageDraw.Draw(picture), ImageFont.load_default(size=44)
    for i, line in enumerate(lines[seed % 5:][:48]):
        draw.text((180, 200 + i * 64), line, fill=0, font=font)
    return picture


_PARSE_ALONE = """
import json, sys, threading, time
import psutil
from docent.ingest.parse import parse_bytes
me, peak = psutil.Process(), {"self": 0, "all": 0}

def sample():  # ru_maxrss would be inherited from the parent across fork and exec: sample instead
    while True:
        own = me.memory_info().rss
        kids = sum(c.memory_info().rss for c in me.children(recursive=True) if c.is_running())
        peak["self"], peak["all"] = max(peak["self"], own), max(peak["all"], own + kids)
        time.sleep(0.02)

threading.Thread(target=sample, daemon=True).start()
data = open(sys.argv[1], "rb").read()
started = time.perf_counter()
doc = parse_bytes(data, "scan.pdf")
print(json.dumps({"seconds": time.perf_counter() - started, "ocr_pages": doc.scan.ocr_pages, **peak}))
"""


def scanned_pdf(pages: int, path: Path) -> None:
    """A PDF of ``pages`` scanned text pages, built a page at a time (never all in memory)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for i in range(pages):
        buffer = io.BytesIO()
        text_page(i).save(buffer, format="PDF", resolution=300.0)
        writer.add_page(PdfReader(buffer).pages[0])
    with path.open("wb") as out:
        writer.write(out)


def speed(pages: int, text_pdf: Path) -> dict:
    sample = [text_page(i) for i in range(3)]
    options = OcrOptions.from_settings(ParseSettings())
    started = time.perf_counter()
    words = sum(recognise(p, options, 300).words for p in sample)
    per_page = (time.perf_counter() - started) / len(sample)

    with tempfile.TemporaryDirectory() as work:
        scan = Path(work) / "scan.pdf"
        scanned_pdf(pages, scan)
        alone = subprocess.run([sys.executable, "-c", _PARSE_ALONE, str(scan)], check=True,
                               capture_output=True, text=True)
        run = json.loads(alone.stdout.splitlines()[-1])

    data = text_pdf.read_bytes()
    timings: dict[str, float] = {}
    for mode in ("off", "auto") * 3:
        started = time.perf_counter()
        parsed = parse_bytes(data, text_pdf.name, ParseSettings(ocr=mode))
        timings[mode] = min(timings.get(mode, 1e9), time.perf_counter() - started)
        assert parsed.scan is not None and parsed.scan.ocr_pages == 0, parsed.scan
    return {"one_page_s": round(per_page, 2), "pages_per_s_per_core": round(1 / per_page, 2),
            "words_per_page": words // len(sample), "cores": os.cpu_count(),
            f"scan_{pages}_pages_s": round(run["seconds"], 1), "scan_pages_ocrd": run["ocr_pages"],
            "scan_pages_per_s": round(pages / run["seconds"], 2),
            "parser_peak_rss_mib": round(run["self"] / 2**20),
            "peak_rss_with_tesseracts_mib": round(run["all"] / 2**20),
            "text_pdf": text_pdf.name, "text_pdf_pages": parsed.scan.pages,
            "text_pdf_ocr_off_s": round(timings["off"], 2), "text_pdf_ocr_auto_s": round(timings["auto"], 2),
            "text_pdf_auto_over_off": round(timings["auto"] / timings["off"], 3)}


def libreoffice(doc: Path, runs: int = 5) -> dict:
    data = doc.read_bytes()
    started = time.perf_counter()
    office.convert(data, "doc", 120)
    first = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(runs):
        office.convert(data, "doc", 120)
    return {"file": doc.name, "first_conversion_s": round(first, 2),
            "steady_conversion_s": round((time.perf_counter() - started) / runs, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", type=Path, default=ROOT.parent / "shared/data/parser-fixtures/example-docs")
    ap.add_argument("--pages", type=int, default=50, help="pages of the scanned PDF timed on all cores")
    ap.add_argument("--text-pdf", type=Path, help="a PDF with a text layer (default: the fixtures' multi-column.pdf)")
    args = ap.parse_args()
    result = {"fixtures": fixtures(args.fixtures), "accuracy": accuracy(args.fixtures),
              "speed": speed(args.pages, args.text_pdf or args.fixtures / "pdf" / "multi-column.pdf"),
              "libreoffice": libreoffice(args.fixtures / "simple.doc")}
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
