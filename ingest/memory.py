"""Give a long-lived reading process's freed memory back to the system between files.

glibc keeps memory freed by one file's reading (page images, the second recogniser's
buffers) in its heaps for later use; a worker that read one large scan would keep its
peak for good, and the next large one lands on top of what was kept. ``malloc_trim(0)``
after each file returns every free page of every heap to the system (a few ms). Where
the C library is not glibc, nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any


@functools.cache
def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


def trim() -> bool:
    """Return free heap memory to the system; False where that cannot be done."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
