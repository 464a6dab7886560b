"""Image files to pages: a scanned letter or a photographed flyer (PNG, JPEG, TIFF, GIF, BMP,
WebP) read by OCR.

Each frame of the image (a multi-page TIFF holds one per page) is one page, read by Tesseract
through `ocr.py`. Pillow opens the file under its own decompression-bomb limit, so a picture
that claims billions of pixels is refused before it is decoded.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable

from ..errors import ExtractionError, brief
from . import Document, Page
from .ocr import OcrSettings, PageProgress, check_ready, ocr_page, read_pages


def extract_image(data: bytes, media_type: str, settings: OcrSettings,
                  progress: PageProgress) -> Document:
    """The text of the image file `data`, a page per frame."""
    from PIL import Image, UnidentifiedImageError

    if not settings.enabled:
        raise ExtractionError(
            "no text: an image file is read by OCR, and OCR is off (`ocr = false` in the "
            "catalog entry, or `--no-ocr`); turn it on to have it read")
    with warnings.catch_warnings():
        # Pillow warns of large images before it refuses huge ones; the refusal is the message.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            picture = Image.open(io.BytesIO(data))
            frames = getattr(picture, "n_frames", 1)
        except Image.DecompressionBombError:
            raise ExtractionError(
                "too large: the image claims more pixels than a scanned page has (a "
                "decompression bomb?); scan or save it again at 300 dpi") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise ExtractionError(
                "damaged image file: it cannot be opened as a picture; open it in an image "
                "viewer and save it again as PNG") from None
        check_ready(settings, "its pages" if frames > 1 else "the image")

        def frame(index: int) -> Callable[[], Image.Image]:
            def load() -> Image.Image:
                picture.seek(index)
                return picture.copy()
            return load

        pages: list[Page] = []
        try:
            numbered = ((i + 1, frame(i)) for i in range(frames))
            for number, page in read_pages(numbered, frames, settings, data, progress):
                pages.append(ocr_page(number, page))
        except (OSError, ValueError, SyntaxError) as exc:
            raise ExtractionError(f"damaged image file: a page could not be decoded "
                                  f"({brief(exc)}); save it again as PNG") from None
        finally:
            picture.close()
    if not any(p.text for p in pages):
        raise ExtractionError("no text: OCR found no words in the image")
    empty = [p.number for p in pages if not p.text]
    found = (f"{len(empty)} of {len(pages)} pages have no words OCR could read",) if empty else ()
    return Document(media_type=media_type, pages=tuple(pages), warnings=found)
