"""The web app against a real database (SQLite and PostgreSQL), driven by httpx.

``web`` is a :class:`Web`: the app, its registry, and helpers to add reviewers and to
get a client signed in as one. Clients talk to ``https://testserver`` so the Secure
session cookie is sent back, as a browser would.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from registry.bootstrap import Registry, open_registry
from registry.reviewers import create_reviewer

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@dataclass
class Web:
    app: FastAPI
    registry: Registry
    settings: Settings

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="https://testserver", follow_redirects=False)

    def add_reviewer(
        self,
        username: str,
        *,
        role: str = "reviewer",
        counties: list[str] | None = None,
        declarations: list[str] | None = None,
        locale: str = "sv",
    ) -> int:
        with self.registry.sessions.begin() as s:
            row = create_reviewer(
                session=s,
                username=username,
                password=PASSWORD,
                role=role,
                counties=counties,
                declarations=declarations,
                locale=locale,
                now=dt.datetime.now(dt.UTC),
            )
            return row.id

    def signed_in(self, username: str, *, password: str = PASSWORD) -> TestClient:
        """A client with a live session of ``username``; its CSRF token on ``.csrf``."""
        client = self.client()
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        )
        assert response.status_code == 303, response.text
        client.csrf = csrf_of(client.get("/review", follow_redirects=True).text)  # type: ignore[attr-defined]
        return client


@pytest.fixture
def web(db_url: str, tmp_path: Path) -> Iterator[Web]:
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        inbox=tmp_path / "inbox",
        secret_key="test-secret",
        _env_file=None,  # type: ignore[call-arg]
    )
    registry = open_registry(db_url)
    app = create_app(settings, registry=registry)
    try:
        yield Web(app=app, registry=registry, settings=settings)
    finally:
        registry.close()
