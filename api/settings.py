"""The one place configuration is read: ``SIGNREG_*`` environment variables.

Built by :func:`get_settings` at an entry point (CLI command, web app factory) and
passed down as plain values; nothing deeper reads the environment.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIGNREG_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///data/signreg.db"
    data_dir: Path = Path("data")
    inbox: Path = Path("inbox")

    # extraction
    ocr_workers: int = Field(default_factory=lambda: os.cpu_count() or 1)
    ocr_engine: str = "auto"  # auto | tesserocr | pytesseract
    # hand-filled organisation numbers and dates Tesseract is unsure of are read again by
    # PP-OCRv6 under their constraints (Luhn; dates that exist): ocr.handread.SecondRead
    second_read: bool = True  # on since held-out seeds 9506, 9507 (tests/bench/HANDWRITING.md)
    # OCR worker processes run this much nicer than the rest (0: the same): the web app
    # and the watcher on the same machine answer first, reading waits for the CPU
    ocr_nice: int = 10

    # ingest
    stable_seconds: float = 0.5  # size and mtime unchanged this long before a file is taken
    poll_seconds: float = 1.0  # polling fallback / rescan period
    # a stable file that looks unfinished (no %%EOF, a broken startxref, open for
    # writing) waits until unchanged this long, then is taken (and quarantined)
    incomplete_grace_seconds: float = 60.0
    lease_seconds: float = 30.0  # a worker's claim; renewed while it reads …
    heartbeat_seconds: float = 10.0  # … this often
    # a larger file of the same name received within this time supersedes the earlier
    # submission (a scanner adding pages), unless that one was reviewed
    supersede_window_seconds: float = 900.0
    max_attempts: int = 3
    orphan_seconds: float = 30.0  # a file claimed by a crashed watcher is re-taken after this

    # web
    host: str = "127.0.0.1"
    port: int = 8000
    # signs nothing by itself yet; kept for tokens that must outlive a restart. Default:
    # a random key made once and kept in DATA_DIR/secret.key (see ``secret()``)
    secret_key: str | None = None
    cookie_secure: bool = True  # Secure cookies (browsers accept them on http://localhost too)
    session_hours: float = 12.0
    login_max_failures: int = 5  # per user name and per client address …
    login_window_seconds: float = 900.0  # … within this window
    upload_max_bytes: int = 50 * 1024 * 1024
    default_locale: str = "sv"
    public_max_age: int = 60  # Cache-Control max-age of the public list, seconds
    public_url: str = "http://127.0.0.1:8000"  # how other sites reach us (Atom, embed)

    # join online (/join/<declaration>, POST /api/v1/applications)
    application_days: int = 60  # an application not signed and sent back by then expires
    application_rate_limit: int = 10  # applications per client address …
    application_rate_window_seconds: float = 3600.0  # … within this window

    # scans by e-mail (`signreg mail`, and within watch/run): off unless mail_host is set
    mail_host: str | None = None
    mail_port: int | None = None  # default: 993 for ssl, 143 for starttls and plain
    mail_security: str = "ssl"  # ssl | starttls | plain (plain: to this machine only)
    mail_user: str | None = None
    mail_password: str | None = None  # the password or an app token
    mail_folder: str = "INBOX"
    mail_handled_folder: str = "Signreg-handled"  # read mails are moved here
    mail_poll_seconds: float = 60.0
    mail_backoff_max_seconds: float = 300.0  # longest wait while the server or DB is down
    mail_ca_file: Path | None = None  # trust this certificate (a private server's own)
    # acknowledgements by e-mail: off unless smtp_host and mail_from are set
    smtp_host: str | None = None
    smtp_port: int | None = None  # default: 465 for ssl, 587 for starttls, 25 for plain
    smtp_security: str = "starttls"  # ssl | starttls | plain (plain: to this machine only)
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str | None = None  # the acknowledgements' From address
    ack_window_days: int = 14  # acknowledge only what happened this recently

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def cache_dir(self) -> Path:
        """Derived files (page images for the reviewer pages); safe to delete."""
        return self.data_dir / "cache"

    def secret(self) -> bytes:
        """The secret key: the setting, or one made on first use and kept in the data
        folder (mode 0600) so that it survives restarts."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_urlsafe(48))
                    f.flush()
                    os.fsync(f.fileno())
        return path.read_text().strip().encode()


def get_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
