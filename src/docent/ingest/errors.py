"""The one error a parser raises: bad input, with a reason meant for humans."""

from __future__ import annotations


class ParseError(Exception):
    """A document that cannot be parsed; ``reason`` is short and meant for humans (quarantine).
    ``stage`` is "tool" when installing a program (Tesseract, LibreOffice) would fix it: such
    documents are tried again by the next ingestion."""

    def __init__(self, reason: str, stage: str = "parse") -> None:
        super().__init__(reason)
        self.reason = reason
        self.stage = stage
