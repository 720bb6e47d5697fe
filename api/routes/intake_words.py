"""What the intake's codes mean, in words: why a file was refused or quarantined, and
where a submission stands. Keyed by the codes' own enums and constants (the engine's
``ocr.errors.Reason``, the queue's, the upload's ``Refusal``, ``SubmissionStatus``);
English message ids, translated in ``registry.po``."""

from __future__ import annotations

from collections.abc import Callable

from ingest.upload import Refusal
from ocr.errors import Reason
from registry.models import SubmissionStatus
from registry.queue import MAX_ATTEMPTS_REASON, NO_DECLARATION

Gettext = Callable[[str], str]


def reason_words(_: Gettext) -> dict[str, str]:
    """Each reason a file is refused, quarantined or fails, in words."""
    return {
        Reason.EMPTY: _("The file is empty."),
        Reason.NOT_PDF: _("The file is neither a PDF nor a photo (JPEG, PNG or TIFF)."),
        Reason.TRUNCATED: _("The PDF is cut short (perhaps an interrupted transfer)."),
        Reason.ENCRYPTED: _("The PDF is password-protected."),
        Reason.MALFORMED: _("The PDF is damaged and cannot be read."),
        Reason.TOO_MANY_PAGES: _("The PDF has more pages than allowed."),
        Reason.TOO_MANY_PIXELS: _("The PDF's images are larger than allowed."),
        Reason.STREAM_TOO_LARGE: _("The PDF holds a part larger than allowed."),
        Reason.FILE_TOO_LARGE: _("The file is larger than allowed."),
        Reason.NO_PAGE_IMAGE: _("A page has no image to read."),
        Reason.OCR_FAILED: _("The text recognition failed."),
        Reason.TIMEOUT: _("Reading the file took too long."),
        Reason.NO_PAGE_IN_PHOTO: _("No form page was found in the photo."),
        Reason.UNSUPPORTED_IMAGE: _("This kind of image cannot be read: send a PDF, JPEG or HEIC."),
        MAX_ATTEMPTS_REASON: _("Reading failed on every attempt."),
        NO_DECLARATION: _("No signing block was found."),
        Refusal.NOTHING_CHOSEN: _("Choose at least one file."),
    }


def status_words(_: Gettext) -> dict[str, str]:
    """Each submission status, in words."""
    return {
        SubmissionStatus.RECEIVED: _("Received, waiting to be read"),
        SubmissionStatus.PROCESSING: _("Being read"),
        SubmissionStatus.PROPOSED: _("Read: proposals wait for review"),
        SubmissionStatus.FAILED: _("Could not be read"),
        SubmissionStatus.QUARANTINED: _("In quarantine"),
        SubmissionStatus.DISCARDED: _("Discarded from the quarantine"),
    }
