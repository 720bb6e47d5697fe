"""Extraction library: scanned declaration PDF bytes in, fields and signature out.

Pure: no database, no files written, no settings read. Start with :func:`extract`.
"""

from __future__ import annotations

from ocr.pipeline import extract

__all__ = ["extract"]
