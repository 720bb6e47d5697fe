"""``signreg mail``: scans by e-mail into the intake (and acknowledgements, when set up).

Also started as a thread by ``signreg watch`` and ``signreg run`` when ``mail_host`` is
set (:func:`start_mail_thread`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli import app

if TYPE_CHECKING:  # the command imports what it needs: `signreg --help` stays light
    from api.settings import Settings
    from ingest.acks import AckConfig
    from ingest.mail import MailConfig, MailReader
    from registry.bootstrap import Registry

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "mail"


def mail_config(settings: Settings) -> MailConfig:
    from ingest.mail import MailConfig, MailConfigError

    if not settings.mail_host or not settings.mail_user:
        raise MailConfigError("set SIGNREG_MAIL_HOST and SIGNREG_MAIL_USER (and the password)")
    if settings.mail_security not in ("ssl", "starttls", "plain"):
        raise MailConfigError(
            f"SIGNREG_MAIL_SECURITY: ssl, starttls or plain, not {settings.mail_security}"
        )
    return MailConfig(
        host=settings.mail_host,
        port=settings.mail_port,
        security=settings.mail_security,  # type: ignore[arg-type]
        user=settings.mail_user,
        password=settings.mail_password or "",
        data_dir=settings.data_dir,
        folder=settings.mail_folder,
        handled_folder=settings.mail_handled_folder,
        max_bytes=settings.upload_max_bytes,
        poll_seconds=settings.mail_poll_seconds,
        backoff_max_seconds=settings.mail_backoff_max_seconds,
        ca_file=settings.mail_ca_file,
    )


def ack_config(settings: Settings) -> AckConfig | None:
    """The acknowledgements' settings, or None when they are off (the default)."""
    from ingest.acks import AckConfig

    if not settings.smtp_host or not settings.mail_from:
        return None
    return AckConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,  # type: ignore[arg-type]
        user=settings.smtp_user,
        password=settings.smtp_password,
        sender=settings.mail_from,
        public_url=settings.public_url,
        templates=TEMPLATES,
        window_days=settings.ack_window_days,
    )


def build_reader(settings: Settings, registry: Registry) -> MailReader:
    from api.cli.ingest import ingest_config
    from ingest.acks import Acknowledger
    from ingest.mail import MailReader
    from ingest.service import build_intake

    intake = build_intake(ingest_config(settings, workers=0), registry.sessions)
    acks = ack_config(settings)
    after_pass = None
    if acks is not None:
        after_pass = Acknowledger(acks, registry.sessions).send_due
    return MailReader(
        config=mail_config(settings),
        intake=intake,
        session_factory=registry.sessions,
        after_pass=after_pass,
    )


def start_mail_thread(settings: Settings, stop: threading.Event) -> threading.Thread | None:
    """The mail reader as a daemon thread of ``signreg watch``/``run``, when configured."""
    if not settings.mail_host:
        return None
    import structlog

    from registry.bootstrap import open_registry

    def run() -> None:
        # not migrated here: the watcher does that; until it has, the reader waits as
        # it would for a database that is down
        registry = open_registry(settings.database_url, migrate=False)
        try:
            build_reader(settings, registry).run(stop)
        except Exception:  # a bad setting: said once, the watcher goes on without mail
            structlog.get_logger("ingest.mail").exception("mail.stopped")
        finally:
            registry.close()

    thread = threading.Thread(target=run, name="mail", daemon=True)
    thread.start()
    return thread


@app.command("mail")
def mail_command(
    once: Annotated[
        bool, typer.Option("--once", help="one pass over the mailbox, then exit")
    ] = False,
) -> None:
    """Take PDF and image attachments from the configured IMAP mailbox into the intake,
    until stopped (SIGTERM/SIGINT)."""
    import structlog

    from ingest.logs import configure_logging
    from ingest.mail import TRANSIENT, MailConfigError
    from ingest.service import stop_on_signals
    from registry.bootstrap import open_registry

    configure_logging(level=logging.INFO)
    settings = read_settings()
    try:
        mail_config(settings)
    except MailConfigError as e:
        typer.echo(f"signreg mail: {e}", err=True)
        raise typer.Exit(2) from None
    stop = threading.Event()
    stop_on_signals(stop)
    registry = open_registry(settings.database_url)  # migrations applied at start-up
    try:
        reader = build_reader(settings, registry)
        if not once:
            reader.run(stop)
            return
        try:
            report = reader.run_once()
        except TRANSIENT + (MailConfigError,) as e:
            typer.echo(f"signreg mail: {type(e).__name__}: {e}", err=True)
            raise typer.Exit(1) from None
        structlog.get_logger("signreg").info(
            "mail.once", messages=report.seen, statuses=[r.status for r in report.results]
        )
    finally:
        registry.close()


def read_settings() -> Settings:  # noqa: N802
    from api.settings import get_settings

    return get_settings()
