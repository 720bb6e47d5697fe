"""What an e-mail carries that the intake takes: its PDF, JPEG and PNG attachments.

Pure functions over bytes (no I/O): the reader (:mod:`ingest.mail`) fetches, these say
which parts are scans, under what safe name, and how IMAP describes a message too large
to fetch whole (``BODYSTRUCTURE``, parsed by :func:`parse_bodystructure`), so that a
300 MB attachment is refused by its size without ever being downloaded.

A part is taken when its type is ``application/pdf``, ``image/jpeg`` or ``image/png``,
or when it is any other type (``application/octet-stream``) whose file name ends in
``.pdf``, ``.jpg``, ``.jpeg`` or ``.png``. Images embedded in an HTML body (inline, with
a ``Content-ID``: logos in a signature) are not scans and are left out. Names come from
the mail and are only ever shown: :func:`attachment_name` keeps a safe base name
(``../../x.pdf`` → ``x.pdf``), and the reader never writes a file under it.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import parseaddr
from typing import Any

from ingest.upload import upload_name

PDF = "application/pdf"
TYPES = {PDF: ".pdf", "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/pjpeg": ".jpg",
         "image/png": ".png"}  # fmt: skip
SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who sent a mail, about what, and the key it is recorded under exactly once."""

    key: str  # the Message-ID, or ``sha256:<hex>`` of the message lacking one
    message_id: str | None
    sender: str | None
    subject: str | None


@dataclass(frozen=True, slots=True)
class Attachment:
    """One part that is a scan: its safe name, and its bytes unless it was too large."""

    name: str
    content_type: str
    data: bytes | None  # None: refused by size, never fetched
    size: int  # bytes, decoded (or the server's encoded size when not fetched)


@dataclass(frozen=True, slots=True)
class Leaf:
    """One non-multipart part of a ``BODYSTRUCTURE``: its IMAP part number and size."""

    section: str  # "1", "2.1", …
    content_type: str
    size: int  # encoded size on the server, in bytes
    disposition: str | None
    file_name: str | None  # from the disposition's or the type's parameters, raw


def parse_message(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def envelope(headers: Message, raw: bytes | None = None, *, fallback: bytes = b"") -> Envelope:
    """The mail's key: its Message-ID, or the sha256 of ``raw`` (the whole message, see
    :func:`raw_digest`), or
    of ``fallback`` (what identifies a message too large to fetch) when it has none."""
    message_id = _message_id(_header(headers, "Message-ID"))
    if message_id is not None:
        key = message_id
    else:
        key = "sha256:" + raw_digest(raw if raw is not None else fallback)
    sender = parseaddr(_header(headers, "From") or "")[1] or None
    subject = _header(headers, "Subject")
    return Envelope(
        key=key[:1000],
        message_id=None if message_id is None else message_id[:1000],
        sender=None if sender is None else sender[:300],
        subject=None if subject is None else subject[:500],
    )


def raw_digest(raw: bytes) -> str:
    """The sha256 of a raw message, its line ends made alike (servers and clients turn
    LF into CRLF), so the same mail has the same key however it was delivered."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()


def _header(headers: Message, name: str) -> str | None:
    try:
        value = headers.get(name)
    except Exception:  # a malformed header: the mail is still taken, without it
        return None
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    found = _MESSAGE_ID.search(value)
    return found.group(0) if found else value.strip() or None


def attachments(message: EmailMessage, max_bytes: int) -> tuple[list[Attachment], list[str]]:
    """The scans in a whole message, in its order, and the names of the other parts
    that had a file name (skipped: a Word file, a logo)."""
    taken: list[Attachment] = []
    skipped: list[str] = []
    for n, (part, related) in enumerate(_leaves(message, related=False), start=1):
        content_type = part.get_content_type()
        raw_name = _file_name(part)
        embedded = related and bool(part.get("Content-ID"))
        if embedded and part.get_content_disposition() != "attachment":
            continue  # an image the HTML body shows (a logo), not an attached scan
        if not is_scan(content_type, raw_name):
            if raw_name:
                skipped.append(upload_name(raw_name))
            continue
        name = attachment_name(raw_name, content_type, n)
        data = _payload(part)
        if len(data) > max_bytes:
            taken.append(Attachment(name, content_type, None, len(data)))
        else:
            taken.append(Attachment(name, content_type, data, len(data)))
    return taken, skipped


def part_attachment(mime_header: bytes, body: bytes, leaf: Leaf, max_bytes: int) -> Attachment:
    """One part fetched on its own (``BODY[n.MIME]`` and ``BODY[n]``), decoded."""
    part = parse_message(mime_header.rstrip(b"\r\n") + b"\r\n\r\n" + body)
    name = attachment_name(_file_name(part) or leaf.file_name, leaf.content_type, 0)
    data = _payload(part)
    if len(data) > max_bytes:
        return Attachment(name, leaf.content_type, None, len(data))
    return Attachment(name, leaf.content_type, data, len(data))


def _leaves(message: Message, *, related: bool) -> Iterator[tuple[Message, bool]]:
    """Every non-multipart part, and whether it sits in a multipart/related (an HTML
    body's own images)."""
    if message.is_multipart():
        if message.get_content_type() == "message/rfc822":
            return  # a forwarded mail as a whole: not a scan, not looked into
        inner = message.get_content_type() == "multipart/related"
        for sub in message.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub, related=inner)
    else:
        yield message, related


def _file_name(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # a malformed parameter
        return None
    return str(name) if name else None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""


def is_scan(content_type: str, name: str | None) -> bool:
    """A PDF, JPEG or PNG by its type, or by its file name's suffix."""
    if content_type.startswith(("text/", "multipart/", "message/")):
        return False
    suffix_ok = bool(name) and str(name).lower().rstrip(" .").endswith(SUFFIXES)
    return content_type in TYPES or suffix_ok


def attachment_name(raw_name: str | None, content_type: str, n: int) -> str:
    """A safe base name for the part, with a suffix that says what it is."""
    name = upload_name(raw_name) if raw_name else ""
    if not name or name == "unnamed":
        name = f"bilaga-{n}" if n else "bilaga"
    if not name.lower().endswith(SUFFIXES):
        name += TYPES.get(content_type, ".pdf")
    return name


def unique_names(names: list[str]) -> list[str]:
    """The names made unique within one mail (``scan.pdf``, ``scan-2.pdf`` …), so each
    attachment is one arrival, recognised after a crash by its mail and name."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            stem, dot, suffix = name.rpartition(".")
            candidate = f"{stem}-{n}.{suffix}" if dot else f"{name}-{n}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out


# --- IMAP BODYSTRUCTURE ---------------------------------------------------------------

_TOKEN = re.compile(rb'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|\{(\d+)\+?\}\r\n|([^\s()"{]+))')


def parse_sexp(data: bytes) -> list[Any]:
    """An IMAP parenthesised list (atoms, quoted strings, literals, NIL) as nested lists
    of ``str`` (``None`` for NIL)."""
    stack: list[list[Any]] = [[]]
    pos = 0
    while pos < len(data):
        m = _TOKEN.match(data, pos)
        if m is None:
            if data[pos:].strip() == b"":
                break
            raise ValueError(f"unparsable IMAP data at {pos}")
        pos = m.end()
        if m.group(1):
            stack.append([])
        elif m.group(2):
            if len(stack) < 2:
                break  # the end of an enclosing list the caller cut into (FETCH's own)
            done = stack.pop()
            stack[-1].append(done)
        elif m.group(3) is not None:
            stack[-1].append(re.sub(rb"\\(.)", rb"\1", m.group(3)).decode(errors="replace"))
        elif m.group(4) is not None:
            n = int(m.group(4))
            stack[-1].append(data[pos : pos + n].decode(errors="replace"))
            pos += n
        else:
            atom = m.group(5).decode(errors="replace")
            stack[-1].append(None if atom.upper() == "NIL" else atom)
    if len(stack) != 1:
        raise ValueError("unbalanced IMAP list")
    return stack[0]


def parse_bodystructure(structure: list[Any]) -> list[Leaf]:
    """The leaves of a parsed ``BODYSTRUCTURE`` list with their part numbers."""
    leaves: list[Leaf] = []
    _walk(structure, "", leaves)
    return leaves


def _walk(node: list[Any], section: str, leaves: list[Leaf]) -> None:
    if node and isinstance(node[0], list):  # multipart: its parts, then its subtype
        children = [c for c in node if isinstance(c, list) and c and _is_part(c)]
        for n, child in enumerate(children, start=1):
            _walk(child, f"{section}.{n}" if section else str(n), leaves)
        return
    main, sub = str(node[0] or "").lower(), str(node[1] or "").lower()
    params = _params(node[2] if len(node) > 2 else None)
    size = int(node[6]) if len(node) > 6 and str(node[6] or "").isdigit() else 0
    disposition, disp_params = _disposition(node, main, sub)
    name = disp_params.get("filename") or params.get("name")
    leaves.append(Leaf(section or "1", f"{main}/{sub}", size, disposition, name))


def _is_part(node: list[Any]) -> bool:
    return isinstance(node[0], (list, str))


def _params(value: Any) -> dict[str, str]:
    if not isinstance(value, list):
        return {}
    items = [str(v) if v is not None else "" for v in value]
    return {items[i].lower(): items[i + 1] for i in range(0, len(items) - 1, 2)}


def _disposition(node: list[Any], main: str, sub: str) -> tuple[str | None, dict[str, str]]:
    """The ``(disposition (params))`` of a leaf: its place depends on the type (text
    parts have a line count, message/rfc822 an envelope, a body and a line count)."""
    base = 7  # type, subtype, params, id, description, encoding, size
    if main == "text":
        base += 1
    elif (main, sub) == ("message", "rfc822"):
        base += 3
    index = base + 1  # after the MD5
    if len(node) > index and isinstance(node[index], list) and node[index]:
        kind = node[index][0]
        params = _params(node[index][1] if len(node[index]) > 1 else None)
        return (str(kind).lower() if kind else None), params
    return None, {}


def plausible_scan(leaf: Leaf) -> bool:
    name = _decode_rfc2047(leaf.file_name)
    return is_scan(leaf.content_type, name)


def _decode_rfc2047(value: str | None) -> str | None:
    if not value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:
        return value


def leaf_name(leaf: Leaf) -> str:
    return attachment_name(_decode_rfc2047(leaf.file_name), leaf.content_type, 0)
