"""Extraction library: scanned declaration PDF bytes in, fields and signature out.

Pure: no database, no files written, no settings read. Start with :func:`extract`.

``extract`` is imported on first use (PEP 562), so that ``from ocr.errors import …`` or
``from ocr.model import …`` does not load OpenCV, NumPy and Tesseract: commands that
only talk to the registry start in a fraction of the time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ocr.pipeline import extract

__all__ = ["extract"]


def __getattr__(name: str) -> Any:
    if name == "extract":
        from ocr.pipeline import extract

        return extract
    raise AttributeError(f"module 'ocr' has no attribute {name!r}")
