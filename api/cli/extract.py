"""``signreg extract``: read PDFs, touch no database, one JSON line per file."""

from __future__ import annotations

from api.cli import app  # noqa: F401  (the OCR work registers the command here)
