"""Does an inbox file look finished? Two cheap looks at it, no PDF parse.

- :func:`incomplete_reason`: the bytes. A finished PDF starts with ``%PDF-`` in its
  first 1024 bytes and ends with ``%%EOF`` in its last 2048 (what ``ocr.pdf`` checks),
  and the last ``startxref N`` before that ``%%EOF`` points inside the file at a
  cross-reference table (``xref``) or stream (``12 0 obj``). A file copied half, a page
  being appended, a file pre-sized with zeros and filled in: each fails one of these.
  A file whose first 1024 bytes are there, not all zero, and hold no ``%PDF-`` will
  never become a PDF: it is not held (intake quarantines it as ``not_pdf`` at once) —
  unless it is a photo (JPEG, PNG), finished once it ends in its format's end marker.
  At most three small reads (head, tail, the xref offset).
- :func:`open_for_writing`: the writers. On Linux a read lease (``F_SETLEASE``
  ``F_RDLCK``) is refused with ``EAGAIN`` while any other descriptor has the file open
  for writing; the lease is dropped again at once. ``None`` when this cannot be told
  (not Linux, a file system that refuses leases, not the file's owner without
  ``CAP_LEASE``): the caller then goes by stability alone.

The watcher holds a file back while either says it is unfinished, until it has been
unchanged for the incomplete grace (see :mod:`ingest.stability`).
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import signal
from pathlib import Path
from typing import BinaryIO, Literal

from ocr.images import END_MARKERS, END_SLACK, image_kind

HEAD = 1024
TAIL = 2048
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s*%%EOF")
_XREF_AT = re.compile(rb"\s*(xref|\d+\s+\d+\s+obj)")
# a lease broken while we hold it is signalled to us; SIGIO (the default) would kill
# the process, SIGURG is ignored unless handled
_LEASE_SIGNAL = signal.SIGURG
_NO_LEASE = {errno.EACCES, errno.EPERM, errno.EINVAL, errno.ENOSYS, errno.ENOTSUP}


def incomplete_reason(path: Path) -> str | None:
    """Why ``path`` does not look like a finished PDF yet; ``None`` when it does."""
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(HEAD)
        if b"%PDF-" not in head:
            image = _unfinished_image(f, head, size)
            if image is not False:
                return image
            if len(head) == HEAD and head.strip(b"\0"):
                return None  # not a PDF, and more bytes will not make it one: take it
            return "no %PDF- header yet"
        f.seek(max(0, size - TAIL))
        tail = f.read(TAIL)
        if b"%%EOF" not in tail:
            return "no %%EOF at the end"
        found = list(_STARTXREF.finditer(tail))
        if not found:
            return "no startxref before %%EOF"
        offset = int(found[-1].group(1))
        if offset >= size:
            return f"startxref {offset} is past the end ({size} bytes)"
        f.seek(offset)
        if _XREF_AT.match(f.read(64)) is None:
            return f"startxref {offset} points at no cross-reference"
    return None


def _unfinished_image(f: BinaryIO, head: bytes, size: int) -> str | None | Literal[False]:
    """For a photo whose format has an end marker (:data:`ocr.images.END_MARKERS`): why it
    does not look finished, or ``None`` when it does; ``False`` when it is no such image."""
    kind = image_kind(head)
    end = END_MARKERS.get(kind) if kind is not None else None
    if kind is None or end is None:
        return False
    f.seek(max(0, size - END_SLACK))
    return None if end in f.read(END_SLACK) else f"a {kind.upper()} without its end marker yet"


def open_for_writing(path: Path) -> bool | None:
    """Whether another descriptor has ``path`` open for writing; ``None``: cannot tell."""
    setlease = getattr(fcntl, "F_SETLEASE", None)
    if setlease is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.fcntl(fd, fcntl.F_SETSIG, _LEASE_SIGNAL)
        fcntl.fcntl(fd, setlease, fcntl.F_RDLCK)
    except OSError as e:
        if e.errno == errno.EAGAIN:
            return True
        if e.errno in _NO_LEASE:
            return None
        raise
    else:
        fcntl.fcntl(fd, setlease, fcntl.F_UNLCK)
        return False
    finally:
        os.close(fd)


def unfinished_reason(path: Path) -> str | None:
    """Why ``path`` should wait (being written, or not a whole PDF); ``None``: take it.

    A file gone meanwhile is not for us to judge: ``None``, the watcher's next stat
    forgets it."""
    try:
        if open_for_writing(path):
            return "open for writing"
        return incomplete_reason(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
