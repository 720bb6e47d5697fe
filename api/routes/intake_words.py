"""What the intake's codes mean, in words: why a file was refused or quarantined, and
where a submission stands. English message ids, translated in ``registry.po``."""

from __future__ import annotations

from collections.abc import Callable

Gettext = Callable[[str], str]


def reason_words(_: Gettext) -> dict[str, str]:
    """Each reason a file is refused, quarantined or fails, in words."""
    return {
        "empty": _("The file is empty."),
        "not_pdf": _("The file is not a PDF."),
        "truncated": _("The PDF is cut short (perhaps an interrupted transfer)."),
        "encrypted": _("The PDF is password-protected."),
        "malformed": _("The PDF is damaged and cannot be read."),
        "too_many_pages": _("The PDF has more pages than allowed."),
        "too_many_pixels": _("The PDF's images are larger than allowed."),
        "stream_too_large": _("The PDF holds a part larger than allowed."),
        "file_too_large": _("The file is larger than allowed."),
        "no_page_image": _("A page has no image to read."),
        "ocr_failed": _("The text recognition failed."),
        "timeout": _("Reading the file took too long."),
        "max_attempts": _("Reading failed on every attempt."),
        "no_declaration": _("No signing block was found."),
        "nothing_chosen": _("Choose at least one file."),
    }


def status_words(_: Gettext) -> dict[str, str]:
    """Each submission status, in words."""
    return {
        "received": _("Received, waiting to be read"),
        "processing": _("Being read"),
        "proposed": _("Read: proposals wait for review"),
        "failed": _("Could not be read"),
        "quarantined": _("In quarantine"),
        "discarded": _("Discarded from the quarantine"),
    }
