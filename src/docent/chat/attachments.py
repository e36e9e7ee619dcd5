"""Pictures attached to questions (a screenshot of an error, a photographed invoice line).

A picture is checked when the question is asked (size, a real picture of sane dimensions: the same
header check as ingestion), so a bad one is refused before anything is recorded. While the answer
is made, its text is read by OCR and joins both the search and the question the model reads (the
local extractive model reads only that); a model that reads images (``chat.vision``) also gets
the picture itself, as a base64 data URL content part. Formats such models do not all take
(TIFF, BMP, HEIC) are sent as PNG.
"""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass

from docent.ingest.ocr import OcrOptions
from docent.ingest.scan import ScanError, picture_format, picture_text
from docent.ingest.tools import ToolError
from docent.settings import ChatSettings, ParseSettings

log = logging.getLogger("docent.chat")

_SENT_AS_IS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_TEXT_CHARS = 2000  # of a picture's OCR text in the question


@dataclass(frozen=True)
class Picture:
    data: bytes
    mime: str

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


class PictureError(ValueError):
    """An attachment refused; the message says why and what to do."""


def accept_picture(data: bytes, max_mb: float) -> Picture:
    """``data`` as a picture to send, or PictureError (too big, not a picture, too many pixels)."""
    if len(data) > max_mb * 2**20:
        raise PictureError(f"The picture is {len(data) / 2**20:.1f} MB; the limit is {max_mb:g} MB: attach a smaller one.")
    try:
        kind = picture_format(data)
    except ScanError as exc:
        raise PictureError(f"The attachment cannot be used: {exc.reason.rstrip('.')}.") from None
    if kind in _SENT_AS_IS:
        return Picture(data, _SENT_AS_IS[kind])
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(buffer, format="PNG")
    return Picture(buffer.getvalue(), "image/png")


def read_picture(picture: Picture, parsing: ParseSettings) -> str:
    """The text in the picture, by OCR; "" when it has none or OCR is not installed (logged)."""
    try:
        return picture_text(picture.data, OcrOptions.from_settings(parsing))[:MAX_TEXT_CHARS]
    except (ToolError, ScanError) as exc:
        log.warning("the attached picture was not read: %s", exc.reason)
        return ""


def vision(chat: ChatSettings) -> bool:
    """Whether the picture itself goes to ``chat.model``."""
    if chat.vision != "auto":
        return chat.vision == "on"
    import litellm

    try:
        return bool(litellm.supports_vision(model=chat.model))
    except Exception:  # a model litellm does not know: it may not read images
        return False
