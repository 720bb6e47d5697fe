"""Who holds a lease, and whether that holder is known to be dead.

A worker's lease owner id is ``HOST:PID:NS.START``: the host name, the process id, the
inode of its pid namespace and its start time (clock ticks after boot, field 22 of
``/proc/PID/stat``). A process on the same host and in the same pid namespace can then
tell for certain that a holder is gone: no such pid, a zombie, or a pid now used by a
process that started at another time. That lets a watcher restarted after ``kill -9``
take its dead workers' submissions at once instead of waiting for their leases to run
out.

Anything else is never judged dead (:func:`dead` is ``False``) and waits for its lease:
another host's holder, another pid namespace's (containers sharing a host name), a
system without ``/proc`` (the id is then ``HOST:PID:-``), or an id in an older form.
"""

from __future__ import annotations

import os
import socket
from functools import cache

_UNKNOWN = "-"


def _proc_stat(pid: int | str) -> tuple[str, str] | None:
    """(state, start time) of a process from ``/proc/PID/stat``; None if there is none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)", whatever comm holds
    return fields[0], fields[19]


@cache
def _namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return _UNKNOWN


def owner_id() -> str:
    """This process's lease owner id (see the module docstring)."""
    me = _proc_stat("self")
    if me is None or _namespace() == _UNKNOWN:
        return f"{socket.gethostname()}:{os.getpid()}:{_UNKNOWN}"
    return f"{socket.gethostname()}:{os.getpid()}:{_namespace()}.{me[1]}"


def dead(owner: str) -> bool:
    """Whether the holder ``owner`` is certainly gone (only ever said of a process in
    this host's and this process's pid namespace)."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    namespace, _, start = parts[2].partition(".")
    if namespace == _UNKNOWN or namespace != _namespace() or not start:
        return False
    found = _proc_stat(int(parts[1]))
    if found is None:
        return True
    state, started = found
    return state in ("Z", "X") or started != start
