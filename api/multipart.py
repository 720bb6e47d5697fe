"""A ``multipart/form-data`` body read as it arrives, each file's bytes straight to a sink.

Starlette's ``request.form()`` reads the whole body before a route sees it and spools
every file into a temp file of the system's own, outside the data folder, whatever
its size. :func:`read_multipart` instead hands each file part's bytes to the sink its
``open_file`` callback returns, chunk by chunk, so a sink can stop an upload at its
limit by raising, and the rest of the body is never read. Small text fields (the
CSRF token) are collected in ``fields``; ``open_file`` sees the fields sent before
the file (browsers send them in the form's order).

Nothing a client sends is held without a bound: a part's headers (16 KB), a text field
(64 KB), the parts (100); a file part without a sink (no file chosen, ``filename=""``)
may carry no more than a field. A file's bytes are bounded by its sink.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024  # one part's headers, all together
MAX_PARTS = 100


class MultipartError(Exception):
    """The body is not well-formed multipart/form-data (or has too many parts)."""


class Sink(Protocol):
    def write(self, chunk: bytes) -> None: ...


OpenFile = Callable[[str, str, Mapping[str, str]], Sink | None]


class _Reader:
    """The parser's callbacks: one part at a time, a field's bytes or a file's sink."""

    def __init__(self, open_file: OpenFile) -> None:
        self.open_file = open_file
        self.fields: dict[str, str] = {}
        self.parts = 0
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._data = bytearray()
        self._sink: Sink | None = None
        self._is_file = False
        self._header_bytes = 0

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise MultipartError(f"more than {MAX_PARTS} parts")
        self._disposition, self._data, self._sink, self._is_file = b"", bytearray(), None, False
        self._header_bytes = 0

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise MultipartError(f"a part's headers are longer than {MAX_HEADER_BYTES} bytes")

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise MultipartError("a part without a name")
        self._name = options[b"name"].decode("utf-8", "replace")
        if b"filename" in options:
            self._is_file = True
            filename = options[b"filename"].decode("utf-8", "replace")
            self._sink = self.open_file(self._name, filename, self.fields)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file and self._sink is not None:
            self._sink.write(data[start:end])
            return
        if len(self._data) + (end - start) > MAX_FIELD_BYTES:
            raise MultipartError(f"the field {self._name!r} is too long")
        self._data.extend(data[start:end])

    def on_part_end(self) -> None:
        if not self._is_file:
            self.fields[self._name] = self._data.decode("utf-8", "replace")


async def read_multipart(request: Request, open_file: OpenFile) -> dict[str, str]:
    """Read the request body; files go to their sinks, the text fields are returned."""
    _kind, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if _kind != b"multipart/form-data" or not boundary:
        raise MultipartError("not multipart/form-data")
    reader = _Reader(open_file)
    callbacks = {
        name: getattr(reader, name)
        for name in (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
        )
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except FormParserError as e:
        raise MultipartError(f"malformed multipart body: {e}") from e
    return reader.fields
