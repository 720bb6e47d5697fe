"""The web application: ``create_app(settings)`` builds it; nothing happens at import.

Routes by audience live in ``api/routes/`` (public list, embed, sign-in, review, intake,
registry pages, admin). Errors become HTTP in one place, :func:`install_error_handlers`:
registry errors by type (NotFound 404, ValidationError 422, InvalidTransition and
Conflict 409), not signed in 401 (pages: a redirect to the sign-in page), not allowed
403. The database out of reach is 503 with ``Retry-After`` for every route, the public
fast path and ``/healthz`` included (:mod:`api.unavailable`), and ends by itself when
the database is back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from api.context import WebConfig, WebContext
from api.deps import Forbidden, NotSignedIn, optional_viewer, render
from api.i18n import make_i18n
from api.public_fast import PublicFastPath
from api.security import SecurityHeaders
from api.settings import Settings, get_settings
from api.unavailable import DatabaseUnavailable
from registry.bootstrap import Registry, open_registry
from registry.db import make_read_sessionmaker
from registry.errors import Conflict, InvalidTransition, NotFound, RegistryError, ValidationError
from registry.websessions import RateLimit

STATIC_DIR = Path(__file__).parent / "static"

HTTP_STATUS: dict[type[RegistryError], int] = {
    NotFound: 404,
    ValidationError: 422,
    InvalidTransition: 409,
    Conflict: 409,
}


def web_config(settings: Settings) -> WebConfig:
    return WebConfig(
        data_dir=settings.data_dir,
        inbox=settings.inbox,
        archive_dir=settings.archive_dir,
        quarantine_dir=settings.quarantine_dir,
        cache_dir=settings.cache_dir,
        secret=settings.secret(),
        cookie_secure=settings.cookie_secure,
        session_lifetime=dt.timedelta(hours=settings.session_hours),
        rate_limit=RateLimit(
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        ),
        upload_max_bytes=settings.upload_max_bytes,
        default_locale=settings.default_locale,
        public_max_age=settings.public_max_age,
        public_url=settings.public_url.rstrip("/"),
    )


def wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "") or request.method == "GET"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _e: NotSignedIn) -> Response:
        if wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return JSONResponse({"detail": "sign in first"}, status_code=401)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, e: Forbidden) -> Response:
        if wants_html(request):
            viewer = optional_viewer(request, request.app.state.ctx)
            return render(request, "error.html", viewer=viewer, status_code=403, message=e.message)
        return JSONResponse({"detail": e.message}, status_code=403)

    @app.exception_handler(RegistryError)
    async def _registry_error(request: Request, e: RegistryError) -> Response:
        status = next((s for t, s in HTTP_STATUS.items() if isinstance(e, t)), 400)
        if wants_html(request):
            viewer = optional_viewer(request, request.app.state.ctx)
            return render(request, "error.html", viewer=viewer, status_code=status, message=str(e))
        body: dict[str, object] = {"detail": str(e)}
        if isinstance(e, ValidationError) and e.field:
            body["field"] = e.field
        return JSONResponse(body, status_code=status)


def create_app(settings: Settings | None = None, *, registry: Registry | None = None) -> FastAPI:
    """The FastAPI app; ``settings`` default to the environment (the uvicorn factory).
    The database is migrated at start unless an opened ``registry`` is handed in."""
    settings = settings if settings is not None else get_settings()
    registry = registry if registry is not None else open_registry(settings.database_url)
    ctx = WebContext(
        config=web_config(settings),
        registry=registry,
        read_sessions=make_read_sessionmaker(registry.engine),
        i18n=make_i18n(),
    )
    app = FastAPI(
        title="signatory-registry",
        version="0.1.0",
        description=(
            "The verified public list of organisations that have signed a declaration of "
            "intent (e.g. *Avsiktsförklaring Jämställd industri*). Public routes need no "
            "sign-in and never show a signer's name, e-mail or scan."
        ),
        docs_url="/docs",
        redoc_url=None,
        # no OpenTelemetry is set up; FastAPI's check for it costs ~30 µs a request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.ctx = ctx
    app.state.settings = settings
    # inside SecurityHeaders: cached public bodies served before routing (api/public_fast.py)
    app.add_middleware(PublicFastPath)
    app.add_middleware(DatabaseUnavailable)  # around the fast path and the routes: 503
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app)

    from api import metrics
    from api.routes import auth

    app.include_router(auth.router)
    app.include_router(metrics.router)  # GET /metrics (public: counts only)
    for name in ("public", "embed", "review", "intake", "registry_pages", "admin", "join"):
        module = _optional_routes(name)
        if module is not None:
            app.include_router(module.router)

    @app.get("/healthz", tags=["health"], summary="The service answers and reaches its database")
    def healthz() -> dict[str, str]:
        """``{"status": "ok"}``; 503 ``{"status": "unavailable"}`` while the database
        cannot be reached."""
        with ctx.read_sessions() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/review", status_code=303)

    return app


def _optional_routes(name: str):  # type: ignore[no-untyped-def]
    """The route module ``api.routes.NAME`` (each audience's module registers here)."""
    import importlib

    try:
        return importlib.import_module(f"api.routes.{name}")
    except ModuleNotFoundError as e:
        if e.name != f"api.routes.{name}":
            raise
        return None
