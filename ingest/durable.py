"""Durable file writes: a temp file in the target's directory, fsync, rename, fsync dir.

After :func:`write_atomic` or :func:`copy_atomic` returns, the target either holds the
whole new content or (after a crash before the rename) its old state; never a half
file. Used by the archive and the quarantine. A write that fails (the disk full among
others) removes its temp file before the error goes on: nothing half-written is left.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
TEMP_PREFIX = ".incoming-"


_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def disk_full(error: BaseException) -> bool:
    """Whether ``error`` is a write refused for want of space (or of quota)."""
    return isinstance(error, OSError) and error.errno in _NO_SPACE


def free_bytes(path: Path) -> int | None:
    """Free bytes (for this user) on the file system holding ``path`` or its nearest
    existing parent; ``None`` if it cannot be told."""
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free
        except FileNotFoundError:
            continue
        except OSError:
            return None
    return None


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path_in(directory: Path) -> Path:
    return directory / f"{TEMP_PREFIX}{uuid.uuid4().hex}.part"


@dataclass(frozen=True, slots=True)
class Staged:
    """A fsynced copy of a source file, not yet in its final place."""

    temp: Path
    sha256: str
    size: int


def stage_copy(source: Path, directory: Path) -> Staged:
    """Copy ``source`` into a fsynced temp file in ``directory``, hashing as it goes."""
    directory.mkdir(parents=True, exist_ok=True)
    temp = temp_path_in(directory)
    digest = hashlib.sha256()
    size = 0
    try:
        with source.open("rb") as src, temp.open("xb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
            dst.flush()
            os.fsync(dst.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return Staged(temp=temp, sha256=digest.hexdigest(), size=size)


def publish(temp: Path, target: Path, *, replace: bool) -> bool:
    """Rename fsynced ``temp`` to ``target`` and fsync the directories involved.

    With ``replace=False`` an existing target is kept (content-addressed: it already
    holds the same bytes) and ``temp`` is removed. Returns whether ``temp`` was moved.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if not replace and target.exists():
        temp.unlink(missing_ok=True)
        return False
    os.replace(temp, target)
    fsync_dir(target.parent)
    if temp.parent != target.parent:
        fsync_dir(temp.parent)
    return True


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` durably, replacing what was there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path_in(target.parent)
    try:
        with temp.open("xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    publish(temp, target, replace=True)


def sha256_file(path: Path) -> tuple[str, int]:
    """Streaming sha256 and size of a file."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def remove_stale_temps(directory: Path, *, older_than: float, now: float) -> int:
    """Remove temp files a crash left behind in ``directory``; returns how many."""
    removed = 0
    if not directory.is_dir():
        return 0
    for entry in directory.iterdir():
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            if now - entry.stat().st_mtime >= older_than:
                entry.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
