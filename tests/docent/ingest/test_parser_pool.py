"""Time limits in real parser processes: a long PDF that moves on page by page finishes, a page
that holds the parser up is stopped and named, and a whole-file ceiling still holds."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from docent.ingest.parser_pool import BEATS_PREFIX, parse_files
from docent.ingest.sources import list_files
from docent.settings import ParseSettings
from tests.pdf_writer import escape, write_pdf


def page(number: int, lines: int = 40) -> str:
    shown = " ".join(f"({escape(f'Page {number}, line {j} of a long report, with a few more words.')}) '"
                     for j in range(lines))
    return f"BT /F1 10 Tf 72 740 Td 12 TL {shown} ET"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "long.pdf").write_bytes(write_pdf([page(n) for n in range(1, 301)]))  # ~4 s, ~13 ms a page
    (tmp_path / "slow-page.pdf").write_bytes(write_pdf([page(1), page(2), page(3, lines=12_000)]))
    (tmp_path / "note.txt").write_text("The parser pool goes on after a file is stopped.")
    return tmp_path


def parsed(folder: Path, settings: ParseSettings) -> dict[str, tuple[float, object]]:
    started, out = time.monotonic(), {}
    for f, result in parse_files(list(list_files(str(folder))), {}, settings):
        out[f.name] = (time.monotonic() - started, result)
    return out


def test_a_long_pdf_that_progresses_finishes_and_a_stuck_page_is_stopped_by_name(folder: Path) -> None:
    results = parsed(folder, ParseSettings(timeout_s=1.0, ocr="off"))
    seconds, long = results["long.pdf"]
    assert long.error is None and len(long.elements) == 300
    assert seconds > 2.0  # it did run past parsing.timeout_s, moving on page by page
    _, slow = results["slow-page.pdf"]
    assert slow.elements is None and slow.stage == "parse"
    assert "made no progress for 1 s at" in slow.error and "page 3" in slow.error and "parsing.timeout_s" in slow.error
    assert results["note.txt"][1].elements  # the pool replaced the stopped parser and went on


def test_the_whole_file_ceiling_stops_a_file_even_while_it_progresses(folder: Path) -> None:
    results = parsed(folder, ParseSettings(timeout_s=30.0, file_timeout_s=1.5, ocr="off"))
    _, long = results["long.pdf"]
    assert long.elements is None
    assert "longer than 1.5 s in all (parsing.file_timeout_s), although it was making progress" in long.error
    assert results["note.txt"][1].elements


def test_the_heartbeat_folder_of_a_killed_run_is_swept_by_the_next(tmp_path: Path) -> None:
    import subprocess
    import sys
    import tempfile

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that has ended: what a run killed with SIGKILL leaves behind
    stale = Path(tempfile.mkdtemp(prefix=f"{BEATS_PREFIX}{gone.pid}-"))
    (stale / "0").write_text("page 3 of 9")
    live = Path(tempfile.mkdtemp(prefix=f"{BEATS_PREFIX}{os.getpid()}-"))  # a run still going
    (tmp_path / "note.txt").write_text("A note.")
    [(_, result)] = parse_files(list(list_files(str(tmp_path))), {}, ParseSettings(ocr="off"))
    assert result.elements and not stale.exists() and live.exists()
    live.rmdir()
