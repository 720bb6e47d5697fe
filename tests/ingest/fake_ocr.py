"""A stand-in for ``ocr.extract`` where a test is about queueing or crashes, not reading.

Selected with ``SIGNREG_OCR_ENGINE=plugin:tests.ingest.fake_ocr`` (see
``ingest.worker.load_extractor``), as OCRmyPDF's tests inject Tesseract plugins. It
validates like the real engine (``ocr.pdf.open_pdf``), then:

- ``FAKE_OCR_DELAY``: seconds to "read" (so a test can kill a worker mid-file);
- ``FAKE_OCR_JOURNAL``: a file to which each call appends ``<pid> <sha256>`` (one
  ``O_APPEND`` write), so a test can count how often each scan was read;
- ``FAKE_OCR_REAL``: a file of sha256s (one a line) that are read by the real engine
  (``ocr.extract``, Tesseract and all) instead, so a soak can mix real reads into a
  fast run; they are journaled like the others;
- ``FAKE_OCR_RAISE``: ``crash`` raises a RuntimeError (an engine bug), any other value
  an :class:`~ocr.errors.ExtractionError` with that reason.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time

from ocr.errors import ExtractionError, Reason
from ocr.model import DeclarationResult, Extraction, FieldValue, SignatureFinding
from ocr.pdf import open_pdf


def extract(data: bytes, *, lexicon: dict[str, str]) -> Extraction:
    doc = open_pdf(data)
    sha = hashlib.sha256(data).hexdigest()
    journal = os.environ.get("FAKE_OCR_JOURNAL")
    if journal:
        fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{os.getpid()} {sha}\n".encode())
        finally:
            os.close(fd)
    if sha in _real(os.environ.get("FAKE_OCR_REAL")):
        import ocr

        return ocr.extract(data, workers=1, lexicon=lexicon)
    time.sleep(float(os.environ.get("FAKE_OCR_DELAY", "0")))
    failure = os.environ.get("FAKE_OCR_RAISE")
    if failure == "crash":
        raise RuntimeError("the fake engine crashed")
    if failure:
        raise ExtractionError(f"fake failure: {failure}", reason=Reason(failure))
    value = FieldValue(
        value=f"Fake Org {sha[:8]} AB", confidence=0.95, page=1, bbox=(0.1, 0.1, 0.5, 0.12)
    )
    fields = {"organisation": value}
    declaration = DeclarationResult(
        pages=(1,),
        declaration="jamstalld-industri",
        fields=fields,
        signature=SignatureFinding(
            present=True, confidence=0.97, page=1, bbox=(0.5, 0.8, 0.8, 0.9)
        ),
    )
    return Extraction(pages=doc.page_count, declarations=(declaration,))


@functools.cache
def _real(listing: str | None) -> frozenset[str]:
    if not listing:
        return frozenset()
    with open(listing) as f:
        return frozenset(line.strip() for line in f if line.strip())
