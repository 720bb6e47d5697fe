"""Mails for the mail tests and bench: real MIME messages with real scans attached."""

from __future__ import annotations

import base64
import io
import os
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from PIL import Image

from tests.ingest.files import scan_pdf

SENDER = "kontakt@exempel-ab.se"


def jpeg(seed: int, size: tuple[int, int] = (400, 560)) -> bytes:
    """A small photo-like JPEG, different for every ``seed``."""
    image = Image.new("RGB", size, (250, 250, 245))
    image.paste((20 + seed % 200, 30, 40), (20 + seed % 300, 40, 80 + seed % 300, 70))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def png(seed: int) -> bytes:
    image = Image.new("L", (300, 420), 255)
    image.paste(0, (10 + seed % 250, 50, 40 + seed % 250, 60))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def mail(
    attachments: list[tuple[str | None, str, bytes]],
    *,
    message_id: str | None = "auto",
    sender: str = SENDER,
    subject: str = "Undertecknad avsiktsförklaring",
    text: str = "Hej! Här kommer vår underskrivna avsiktsförklaring.",
) -> bytes:
    """A mail with a text body and ``(file name, content type, bytes)`` attachments."""
    msg = EmailMessage()
    msg["From"] = f"Exempel AB <{sender}>"
    msg["To"] = "intake@lansstyrelsen.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(__import__("datetime").datetime.now().astimezone())
    if message_id == "auto":
        msg["Message-ID"] = make_msgid(domain="exempel-ab.se")
    elif message_id is not None:
        msg["Message-ID"] = message_id
    msg.set_content(text)
    for name, content_type, data in attachments:
        main, sub = content_type.split("/", 1)
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return bytes(msg)


def pdf_mail(seed: int, **kw: object) -> bytes:
    return mail([(f"avsiktsforklaring-{seed}.pdf", "application/pdf", scan_pdf(seed))], **kw)  # type: ignore[arg-type]


def write_big_mail(
    path: Path, size: int, *, message_id: str, small_pdf: bytes | None = None
) -> None:
    """A mail with a ``size``-byte PDF attachment written to ``path`` chunk by chunk
    (base64, CRLF lines), never held in memory; optionally a small PDF beside it."""
    boundary = "signreg-big-boundary"
    with path.open("wb") as f:
        f.write(
            (
                f"From: Exempel AB <{SENDER}>\r\nTo: intake@lansstyrelsen.example\r\n"
                f"Subject: Stor skanning\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
                f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
                f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                "Hej, en stor fil.\r\n"
            ).encode()
        )
        if small_pdf is not None:
            f.write(
                (
                    f"--{boundary}\r\nContent-Type: application/pdf\r\n"
                    'Content-Disposition: attachment; filename="liten.pdf"\r\n'
                    "Content-Transfer-Encoding: base64\r\n\r\n"
                ).encode()
            )
            f.write(base64.encodebytes(small_pdf).replace(b"\n", b"\r\n"))
        f.write(
            (
                f"--{boundary}\r\nContent-Type: application/pdf\r\n"
                'Content-Disposition: attachment; filename="../../stor.pdf"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode()
        )
        chunk = 57 * 1024 * 16  # a whole number of 57-byte base64 lines
        head = b"%PDF-1.4\n"
        written = 0
        while written < size:
            n = min(chunk, size - written)
            block = (head + os.urandom(n - len(head))) if written == 0 else os.urandom(n)
            f.write(base64.encodebytes(block).replace(b"\n", b"\r\n"))
            written += n
        f.write(f"--{boundary}--\r\n".encode())
