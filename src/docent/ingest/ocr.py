"""Text from pictures of pages, with Debian's Tesseract (no model download, no torch).

Why it is done this way:
- One ``tesseract`` process per page, with ``OMP_THREAD_LIMIT=1``: Tesseract's own threads made a
  page several times slower on 2 cores; pages run side by side instead (``OcrOptions.processes``).
- Pages go to Tesseract uncompressed (PGM, or PPM when the page has colour) on stdin: nothing
  touches the disk, and PNG compression would cost more than the pipe.
- Its TSV output gives each word's confidence and its block, paragraph and line, so paragraphs
  keep Tesseract's layout analysis (a scanned table comes out row by row in reading order).
- Orientation detection (``--psm 0``) costs about a second a page, so it runs only when the
  upright reading is poor, on a picture half the size; a page it turns is read again.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from docent.ingest.progress import tick
from docent.ingest.tools import ToolError, run
from docent.settings import ParseSettings

if TYPE_CHECKING:
    from PIL.Image import Image

_WEAK_WORDS = 10  # an upright reading with fewer words, or a low confidence, asks for orientation
_WEAK_CONFIDENCE = 70.0
_OSD_SCALES = (2, 1)
_COLOUR_SPREAD = 24  # the largest channel difference of a pixel of a grey page, scanner noise included


@dataclass(frozen=True)
class OcrOptions:
    """How pictures of pages are read (``parsing.ocr*`` settings)."""

    mode: Literal["auto", "off", "always"] = "auto"
    languages: tuple[str, ...] = ("eng",)
    dpi: int = 300
    min_confidence: float = 60.0  # mean word confidence (0-100) below which a page is flagged
    page_timeout_s: float = 60.0
    budget_s: float = 600.0  # all the pages of one file together
    processes: int = 1  # tesseract processes at once

    @classmethod
    def from_settings(cls, settings: ParseSettings) -> OcrOptions:
        """The OCR part of ``parsing.*``: pages are OCR'd side by side on the cores this parser
        process shares with the other ``parsing.workers``."""
        return cls(settings.ocr, tuple(settings.ocr_languages), settings.ocr_dpi, settings.ocr_min_confidence,
                   settings.ocr_page_timeout_s, settings.ocr_timeout_s, max(1, (os.cpu_count() or 1) // settings.workers))


@dataclass(frozen=True)
class Paragraph:
    text: str
    confidence: float  # mean word confidence, 0-100


@dataclass(frozen=True)
class PageText:
    paragraphs: list[Paragraph]
    confidence: float | None  # mean word confidence of the page; None when it has no words
    rotated: int = 0  # degrees the picture was turned (clockwise) before it was read
    error: str | None = None  # why the page could not be read (its time limit): the other pages go on

    @property
    def words(self) -> int:
        return sum(len(p.text.split()) for p in self.paragraphs)


def language_package(language: str) -> str:
    """The Debian package with Tesseract's model for ``language`` (``chi_sim`` -> ``tesseract-ocr-chi-sim``)."""
    return "tesseract-ocr-" + language.lower().replace("_", "-")


@cache
def installed_languages() -> frozenset[str]:
    """The languages Tesseract can read here; raises ToolError when Tesseract is not installed."""
    out = run(["tesseract", "--list-langs"], timeout_s=30).stdout.decode()
    return frozenset(line.strip() for line in out.splitlines()[1:] if line.strip())


def check(languages: Iterable[str]) -> None:
    """Raise ToolError naming what to install when Tesseract or one of ``languages`` is missing."""
    have = installed_languages()
    lacking = [lang for lang in languages if lang not in have]
    if lacking:
        packages = ", ".join(language_package(lang) for lang in lacking)
        raise ToolError(f"OCR language {', '.join(lacking)} is not installed (Debian package {packages})",
                        missing=True)


def recognise(image: Image, options: OcrOptions, dpi: int | None = None) -> PageText:
    """The text of one picture of a page, turned upright first when Tesseract sees it is not."""
    grey = _prepared(image)
    page = _read(grey, options, dpi)
    if page.words >= _WEAK_WORDS and (page.confidence or 0) >= _WEAK_CONFIDENCE:
        return page
    turn = _orientation(grey, options, dpi)
    if not turn:
        return page
    turned = _read(grey.rotate(-turn, expand=True), options, dpi)
    better = turned.words * (turned.confidence or 0) > page.words * (page.confidence or 0)
    return PageText(turned.paragraphs, turned.confidence, turn) if better else page


def recognise_all(images: Iterable[tuple[Image, int | None]], options: OcrOptions) -> Iterator[PageText]:
    """Each (picture, dpi)'s text, in order, ``options.processes`` at a time, within ``options.budget_s``.

    Pictures are taken from ``images`` only as slots free up, so a long scan never holds more
    than a few rendered pages in memory.
    """
    deadline = time.monotonic() + options.budget_s
    pending: list[Future[PageText]] = []
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, options.processes)) as pool:
        try:
            for image, dpi in images:
                if time.monotonic() > deadline:
                    raise _over_budget(options, done)
                pending.append(pool.submit(_page, image, options, dpi))
                while len(pending) > 2 * options.processes or (pending and pending[0].done()):
                    yield pending.pop(0).result()
                    done += 1
                    tick(f"OCR, {done} page(s) read")
            while pending:
                yield pending.pop(0).result(timeout=max(0.0, deadline - time.monotonic()) + 1)
                done += 1
                tick(f"OCR, {done} page(s) read")
        except TimeoutError:
            raise _over_budget(options, done) from None
        finally:
            for future in pending:
                future.cancel()


def _page(image: Image, options: OcrOptions, dpi: int | None) -> PageText:
    """One page's text; a page Tesseract fails on or runs out of time with is an empty, failed page."""
    try:
        return recognise(image, options, dpi)
    except ToolError as exc:
        if exc.missing:
            raise
        return PageText([], None, error=f"OCR {exc.reason}" if exc.reason.startswith("tesseract") else exc.reason)


def _over_budget(options: OcrOptions, done: int) -> ToolError:
    return ToolError(f"OCR did not finish within parsing.ocr_timeout_s ({options.budget_s:g} s) after "
                    f"{done} page(s); raise it for long scans")


def _prepared(image: Image) -> Image:
    """Grey, or RGB when the page has colour: Tesseract thresholds each colour channel, which
    keeps dark text on a coloured table header that one grey threshold turns to black. Transparent
    areas become white (a transparent PNG is otherwise black on black)."""
    from PIL import Image as PILImage

    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        image = PILImage.alpha_composite(PILImage.new("RGBA", rgba.size, "white"), rgba)
    if image.mode == "L":
        return image
    from PIL import ImageChops

    rgb = image.convert("RGB")
    r, g, b = rgb.resize((64, 64)).split()
    spread = max(ImageChops.difference(x, y).getextrema()[1] for x, y in ((r, g), (g, b), (r, b)))
    return rgb if spread > _COLOUR_SPREAD else rgb.convert("L")


def _pgm(image: Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PPM")  # an "L" picture is written as PGM, an "RGB" one as PPM
    return buf.getvalue()


def _tesseract(args: list[str], image: Image, options: OcrOptions) -> str:
    out = run(["tesseract", "stdin", "stdout", *args], timeout_s=options.page_timeout_s,
              stdin=_pgm(image), env={"OMP_THREAD_LIMIT": "1"})
    return out.stdout.decode("utf-8", "replace")


def _read(image: Image, options: OcrOptions, dpi: int | None) -> PageText:
    args = ["-l", "+".join(options.languages), "--psm", "3", "-c", "tessedit_do_invert=0"]
    if dpi:
        args += ["--dpi", str(dpi)]
    return _paragraphs(_tesseract([*args, "tsv"], image, options))


def _paragraphs(tsv: str) -> PageText:
    """Words grouped by Tesseract's (block, paragraph), lines joined with spaces."""
    groups: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text, conf = (row.get("text") or "").strip(), float(row.get("conf") or -1)
        if row.get("level") == "5" and text and conf >= 0:
            groups.setdefault((row["block_num"], row["par_num"]), []).append((text, conf))
    paragraphs = [Paragraph(" ".join(w for w, _ in words), sum(c for _, c in words) / len(words))
                  for words in groups.values()]
    confs = [c for words in groups.values() for _, c in words]
    return PageText(paragraphs, sum(confs) / len(confs) if confs else None)


def _orientation(grey: Image, options: OcrOptions, dpi: int | None) -> int:
    """Degrees to turn the page clockwise (0, 90, 180, 270); 0 when unsure or OSD is missing.
    Tried on a picture half the size first (faster), then whole when that has too few letters."""
    if "osd" not in installed_languages():
        return 0
    for scale in _OSD_SCALES:
        small = grey.resize((max(1, grey.width // scale), max(1, grey.height // scale))) if scale > 1 else grey
        try:
            out = _tesseract(["--psm", "0", "--dpi", str((dpi or 300) // scale)], small, options)
        except ToolError:  # "Too few characters": try the whole picture, else keep the page as it is
            continue
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        try:
            return int(fields.get("Rotate", "0").strip()) % 360
        except ValueError:
            return 0
    return 0


def unavailable(options: OcrOptions) -> str | None:
    """Why OCR cannot run here with ``options`` (Tesseract or a language missing), or None."""
    try:
        check(options.languages)
    except ToolError as exc:
        return f"OCR {exc.reason}" if exc.reason.startswith("needs") else exc.reason
    return None
