"""``signreg migrate | submissions | review … | signatories | import-list | reviewer add |
follow-up``: the registry from the command line.

Every command reads settings once (``get_settings()``), opens the registry (migrating it
first, except for the commands that only read: ``submissions``, ``review list|show``,
``signatories``, ``follow-up``, which check the schema's revision instead) and runs one
transaction. Heavy modules are imported inside the commands, so ``signreg --help`` and
the read-only commands start quickly. Earlier wording: opens the registry (migrating it
to the newest schema) and runs one transaction. Registry errors become one line on
stderr and an exit status, in :func:`registry_errors` (ValidationError 2, NotFound 3,
InvalidTransition and Conflict 4).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli import app
from registry.errors import Conflict, InvalidTransition, NotFound, RegistryError, ValidationError

if TYPE_CHECKING:
    from registry.bootstrap import Registry

review_app = typer.Typer(help="Review proposals: list, show, approve, reject, reopen.")
reviewer_app = typer.Typer(help="Reviewer accounts.")
app.add_typer(review_app, name="review")
app.add_typer(reviewer_app, name="reviewer")

EXIT_STATUS: dict[type[RegistryError], int] = {
    ValidationError: 2,
    NotFound: 3,
    InvalidTransition: 4,
    Conflict: 4,
}

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON on stdout")]
ReviewerOpt = Annotated[
    str | None, typer.Option("--reviewer", help="who decides (default: cli:<login name>)")
]


@contextlib.contextmanager
def registry_errors() -> Iterator[None]:
    """The one place registry errors become an exit status."""
    try:
        yield
    except RegistryError as e:
        typer.echo(f"signreg: {e}", err=True)
        status = next((s for t, s in EXIT_STATUS.items() if isinstance(e, t)), 1)
        raise typer.Exit(status) from None


def _database_url() -> str:
    from api.settings import get_settings

    return get_settings().database_url


@contextlib.contextmanager
def opened(*, read_only: bool = False) -> Iterator[Registry]:
    """The registry, migrated first — except for commands that only read (they start
    in a fraction of the time and say so when the schema is not up to date)."""
    from registry.bootstrap import open_registry, open_registry_for_reading

    with registry_errors():
        url = _database_url()
        registry = open_registry_for_reading(url) if read_only else open_registry(url)
    try:
        with registry_errors():
            yield registry
    finally:
        registry.close()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _who(reviewer: str | None) -> str:
    return reviewer or f"cli:{getpass.getuser()}"


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, default=str))


@app.command("migrate")
def migrate_command() -> None:
    """Bring the database to the newest schema and the declarations in step with the forms."""
    from registry.bootstrap import sync_declarations
    from registry.db import current_revision

    with opened() as reg:
        slugs = sync_declarations(reg.sessions)
        typer.echo(f"schema at {current_revision(reg.engine)}; declarations: {', '.join(slugs)}")


@app.command("submissions")
def submissions_command(as_json: JsonOpt = False) -> None:
    """Every submission (and every duplicate arrival), with status and proposals."""
    from registry.bootstrap import engine_for_reading
    from registry.submission_list import list_submissions

    with registry_errors():
        engine = engine_for_reading(_database_url())
    try:
        with engine.connect() as conn:
            rows = list_submissions(conn)
    finally:
        engine.dispose()
    if as_json:
        _print_json([r.to_json() for r in rows])
        return
    for r in rows:
        extra = f"  {r.reason}: {r.error}" if r.error else ""
        typer.echo(f"{r.id:>6}  {r.status:<11}  {r.sha256[:12]}  {r.file}{extra}")


@review_app.command("list")
def review_list(
    as_json: JsonOpt = False,
    status: Annotated[str | None, typer.Option(help="proposed | approved | rejected")] = None,
) -> None:
    """Proposals with their fields, signature, flags and candidate organisations."""
    from registry.listing import list_proposals

    with opened(read_only=True) as reg, reg.sessions() as s:
        rows = list_proposals(session=s, status=status)
    if as_json:
        _print_json([r.model_dump(mode="json") for r in rows])
        return
    for r in rows:
        org = r.fields["organisation"].value if "organisation" in r.fields else None
        typer.echo(f"{r.id:>6}  {r.status:<9}  {org or '?'}  [{', '.join(r.flags)}]")


@review_app.command("show")
def review_show(proposal_id: int) -> None:
    """One proposal in full (JSON)."""
    from registry.listing import show_proposal

    with opened(read_only=True) as reg, reg.sessions() as s:
        row = show_proposal(session=s, proposal_id=proposal_id)
    typer.echo(json.dumps(row.model_dump(mode="json"), ensure_ascii=False, indent=2))


def parse_assignments(items: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for item in items:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise ValidationError(f"--set needs FIELD=VALUE, got {item!r}")
        out[field.strip()] = value
    return out


@review_app.command("approve")
def review_approve(
    proposal_id: int,
    assignments: Annotated[
        list[str] | None, typer.Option("--set", help="correct a value first: FIELD=VALUE")
    ] = None,
    organisation: Annotated[
        int | None, typer.Option("--organisation", help="link to this organisation id")
    ] = None,
    reviewer: ReviewerOpt = None,
) -> None:
    """Approve a proposal: the organisation becomes (or stays) a verified signatory."""
    from registry.review import approve_proposal

    with opened() as reg, reg.sessions.begin() as s:
        member = approve_proposal(
            session=s,
            proposal_id=proposal_id,
            reviewer=_who(reviewer),
            corrections=parse_assignments(assignments or []),
            organisation_id=organisation,
            now=_now(),
        )
        typer.echo(
            f"proposal {proposal_id} approved: {member.organisation.name} in "
            f"{member.declaration.slug}, follow-up due {member.follow_up_due}"
        )


@review_app.command("reject")
def review_reject(
    proposal_id: int,
    reason: Annotated[str, typer.Option("--reason", help="why (required)")],
    reviewer: ReviewerOpt = None,
) -> None:
    """Reject a proposal with a reason."""
    from registry.review import reject_proposal

    with opened() as reg, reg.sessions.begin() as s:
        reject_proposal(
            session=s,
            proposal_id=proposal_id,
            reviewer=_who(reviewer),
            reason=reason,
            now=_now(),
        )
    typer.echo(f"proposal {proposal_id} rejected")


@review_app.command("reopen")
def review_reopen(
    proposal_id: int,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    reviewer: ReviewerOpt = None,
) -> None:
    """Undo a decision: the proposal is proposed again, a membership put back as it was."""
    from registry.review import reopen_proposal

    with opened() as reg, reg.sessions.begin() as s:
        reopen_proposal(
            session=s,
            proposal_id=proposal_id,
            reviewer=_who(reviewer),
            reason=reason,
            now=_now(),
        )
    typer.echo(f"proposal {proposal_id} reopened")


@app.command("signatories")
def signatories_command(
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout")] = False,
    declaration: Annotated[str | None, typer.Option()] = None,
    county: Annotated[str | None, typer.Option()] = None,
    q: Annotated[
        str | None, typer.Option("--q", help="search organisation names and numbers")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(help="active | withdrawn | lapsed | all (adds status, status_since)"),
    ] = None,
) -> None:
    """The verified list, as the public API gives it (never a signer's name or e-mail)."""
    from api.public_formats import csv_text
    from registry.signatories import StatusFilter, public_signatories

    with registry_errors():
        try:
            wanted = StatusFilter(status or StatusFilter.ACTIVE)
        except ValueError:
            choices = ", ".join(StatusFilter)
            raise ValidationError(f"--status must be one of {choices}, got {status!r}") from None
    with opened(read_only=True) as reg, reg.sessions() as s:
        rows, _ = public_signatories(
            session=s, declaration=declaration, county=county, q=q, status=wanted
        )
    if as_csv:
        sys.stdout.write(csv_text(rows, with_status=status is not None))
        return
    _print_json([r.public(with_status=status is not None) for r in rows])


@app.command("import-list")
def import_list_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    declaration: Annotated[str, typer.Option("--declaration", help="declaration slug")],
    actor: Annotated[str | None, typer.Option("--actor")] = None,
) -> None:
    """A published list (organisation,organisation_number,county,signed_date) as verified
    signatories marked imported; running it twice changes nothing. Exit 1 if a row was bad."""
    from registry.importer import import_list

    text = file.read_text(encoding="utf-8-sig")
    with opened() as reg, reg.sessions.begin() as s:
        report = import_list(
            session=s,
            rows_csv_text=text,
            declaration_slug=declaration,
            actor=actor or f"import:{getpass.getuser()}",
            now=_now(),
        )
    for err in report.errors:
        typer.echo(f"{file.name}:{err.line}: {err.message}", err=True)
    typer.echo(
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.errors)} bad rows skipped"
    )
    if report.errors:
        raise typer.Exit(1)


@reviewer_app.command("add")
def reviewer_add(
    username: str,
    display_name: Annotated[str | None, typer.Option("--display-name")] = None,
    role: Annotated[str, typer.Option("--role", help="reviewer or admin")] = "reviewer",
    county: Annotated[
        list[str] | None, typer.Option("--county", help="limit to this county (repeatable)")
    ] = None,
    declaration: Annotated[
        list[str] | None,
        typer.Option("--declaration", help="limit to this declaration slug (repeatable)"),
    ] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """Create a reviewer (``--role admin`` for the first admin, who manages the others in
    the browser). The password comes from stdin, SIGNREG_REVIEWER_PASSWORD or a prompt."""
    from registry.reviewers import create_reviewer

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = os.environ.get("SIGNREG_REVIEWER_PASSWORD") or typer.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
    with opened() as reg, reg.sessions.begin() as s:
        create_reviewer(
            session=s,
            username=username,
            password=password,
            display_name=display_name,
            role=role,
            counties=county,
            declarations=declaration,
            email=email,
            actor=f"cli:{getpass.getuser()}",
            now=_now(),
        )
    scope = ", ".join([*(county or []), *(declaration or [])]) or "everything"
    typer.echo(f"{role} {username} added ({scope})")


@app.command("follow-up")
def follow_up_command(
    on: Annotated[str | None, typer.Option(help="due on or before (YYYY-MM-DD; today)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verified signatories whose follow-up is due."""
    from registry.follow_up import due_for_follow_up
    from registry.schemas import SignatoryPrivate

    with registry_errors():
        try:
            day = dt.date.fromisoformat(on) if on else dt.date.today()
        except ValueError:
            raise ValidationError(f"--on is not a date: {on!r}") from None
    with opened(read_only=True) as reg, reg.sessions() as s:
        rows = [SignatoryPrivate.of(m) for m in due_for_follow_up(session=s, on=day)]
    if as_json:
        _print_json([r.model_dump(mode="json") for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.follow_up_due}  {r.organisation}  ({r.declaration})")
