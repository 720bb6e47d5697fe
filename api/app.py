"""The web application: ``create_app(settings)`` builds it; nothing happens at import.

For now it serves ``GET /healthz`` only; the public API, reviewer pages and embed
routes register here as they are written (``api/routes/*``).
"""

from __future__ import annotations

from fastapi import FastAPI

from api.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI app; ``settings`` default to the environment (the uvicorn factory)."""
    settings = settings if settings is not None else get_settings()
    app = FastAPI(title="signatory-registry", version="0.1.0")
    app.state.settings = settings

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
