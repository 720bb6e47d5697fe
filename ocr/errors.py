"""Errors of the extraction library.

Every error carries a :class:`Reason` (a stable code) and a one-line message a person
can read. The CLI maps reasons to exit status and the registry maps them to a
quarantine reason, each in one place.

    ExtractionError
    ├── InvalidInput            the bytes are not a usable PDF
    │   (reasons: EMPTY, NOT_PDF, TRUNCATED, ENCRYPTED, MALFORMED)
    ├── LimitExceeded           a sane limit was passed (decompression bomb, …)
    │   (reasons: TOO_MANY_PAGES, TOO_MANY_PIXELS, STREAM_TOO_LARGE, FILE_TOO_LARGE)
    ├── NoPageImage             a page holds no image and cannot be rendered
    ├── UnreadablePage          the OCR engine failed on a page (reason: OCR_FAILED)
    └── NoPageInPhoto           a photo shows no form page (reason: NO_PAGE_IN_PHOTO)
"""

from __future__ import annotations

import enum


class Reason(enum.StrEnum):
    EMPTY = "empty"
    NOT_PDF = "not_pdf"
    TRUNCATED = "truncated"
    ENCRYPTED = "encrypted"
    MALFORMED = "malformed"
    TOO_MANY_PAGES = "too_many_pages"
    TOO_MANY_PIXELS = "too_many_pixels"
    STREAM_TOO_LARGE = "stream_too_large"
    FILE_TOO_LARGE = "file_too_large"
    NO_PAGE_IMAGE = "no_page_image"
    OCR_FAILED = "ocr_failed"
    TIMEOUT = "timeout"
    NO_PAGE_IN_PHOTO = "no_page_in_photo"  # a photo (JPEG/PNG) in which no form page is found
    UNSUPPORTED_IMAGE = "unsupported_image"  # an image kind not read (AVIF)


class ExtractionError(Exception):
    """Base of every error ``ocr`` raises on purpose."""

    reason: Reason = Reason.MALFORMED

    def __init__(self, message: str, *, reason: Reason | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, reason={self.reason.value!r})"


class InvalidInput(ExtractionError):
    reason = Reason.MALFORMED


class LimitExceeded(ExtractionError):
    reason = Reason.TOO_MANY_PIXELS


class NoPageImage(ExtractionError):
    reason = Reason.NO_PAGE_IMAGE


class UnreadablePage(ExtractionError):
    reason = Reason.OCR_FAILED


class NoPageInPhoto(ExtractionError):
    reason = Reason.NO_PAGE_IN_PHOTO
