"""The one place configuration is read: ``SIGNREG_*`` environment variables.

Built by :func:`get_settings` at an entry point (CLI command, web app factory) and
passed down as plain values; nothing deeper reads the environment.
"""

from __future__ import annotations

import os
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

    # ingest
    stable_seconds: float = 0.5  # size and mtime unchanged this long before a file is taken
    poll_seconds: float = 1.0  # polling fallback / rescan period
    lease_seconds: float = 300.0
    max_attempts: int = 3
    orphan_seconds: float = 30.0  # a file claimed by a crashed watcher is re-taken after this

    # web
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"


def get_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
