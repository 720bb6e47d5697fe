"""``signreg erase | retention | declaration retention``: personal data and retention.

- ``signreg erase --organisation-number N [--signatory ID] [--submission ID] [--yes]
  [--json]`` shows what will be erased and what is kept, asks (unless ``--yes``), then
  erases (``registry.erasure``), deletes the scans' files and rewrites the database's
  files (``ingest.erase_files.run_erasure``). Running it again finishes an erasure a
  crash cut short.
- ``signreg retention [--dry-run] [--json]`` applies every declaration's retention
  rules (``registry.retention``); run it on a schedule, e.g. nightly from cron
  (``17 3 * * * cd /srv/signreg && .venv/bin/signreg retention``) or a systemd timer.
- ``signreg declaration retention SLUG --rejected-months N|never --approved-years
  M|never`` sets a declaration's rules.

Registry errors become an exit status as everywhere (``api.cli.registry``).
"""

from __future__ import annotations

import getpass
from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli import app

if TYPE_CHECKING:
    from api.settings import Settings
    from ingest.erase_files import ScanFiles
    from registry.erasure import ErasureReport

declaration_app = typer.Typer(help="Declarations: their retention rules.")
app.add_typer(declaration_app, name="declaration")

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON on stdout")]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="who (default: cli:<login name>)")]
NEVER = "never"


def _who(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


def _files(settings: Settings) -> ScanFiles:
    from ingest.erase_files import ScanFiles

    return ScanFiles.at(
        archive_dir=settings.archive_dir,
        quarantine_dir=settings.quarantine_dir,
        cache_dir=settings.cache_dir,
    )


def _print_report(report: ErasureReport, *, done: bool, err: bool = False) -> None:
    echo = partial(typer.echo, err=err)
    who = f"{report.organisation} ({report.organisation_number})"
    if report.organisation is None:
        who = report.organisation_number
    echo(f"{'Erased' if done else 'Will erase'} for {who}:")
    echo(
        f"  names {report.names}, titles {report.titles}, e-mail addresses {report.emails}"
        f" (in {report.memberships} memberships, {report.proposals} proposals read from"
        f" scans, {report.applications} applications)"
    )
    echo(f"  scans {len(report.scans)}")
    if report.files is not None:
        f = report.files
        echo(
            f"  files deleted: {f.archive} archived, {f.quarantine} quarantined,"
            f" {f.page_images} page images"
        )
    if done:
        echo(
            f"  audit trail: {report.audit_values} values replaced by [raderat] in"
            f" {report.audit_events} events; {report.free_text} in other text"
        )
    else:
        echo(f"  audit trail: values replaced in {report.audit_events} events")
    if report.not_rewritten:
        echo(
            f"  the database's own files were not rewritten ({report.not_rewritten}): old"
            " copies of the values may stay in them until you run this erasure again"
        )
    echo("Kept, and why:")
    for k in report.kept:
        count = f" ({k.count})" if k.count else ""
        echo(f"  - {k.what}{count}: {k.why}")


@app.command("erase")
def erase_command(
    organisation_number: Annotated[
        str, typer.Option("--organisation-number", help="the organisation whose signers' data go")
    ],
    signatory: Annotated[
        int | None, typer.Option("--signatory", help="only this membership (its id)")
    ] = None,
    submission: Annotated[
        int | None, typer.Option("--submission", help="also this scan (a quarantined file)")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False,
    as_json: JsonOpt = False,
    actor: ActorOpt = None,
) -> None:
    """Erase a signer's name, title, e-mail and scans on request (the public list stays)."""
    import datetime as dt
    import json

    from api.cli.registry import opened
    from api.settings import get_settings
    from ingest.erase_files import run_erasure
    from registry.erasure import preview

    settings = get_settings()
    with opened() as reg:
        if not yes:
            with reg.sessions() as s:
                shown = preview(
                    session=s,
                    organisation_number=organisation_number,
                    signatory_id=signatory,
                    submission_id=submission,
                )
            _print_report(shown, done=False, err=as_json)  # stdout keeps to the JSON
            if not typer.confirm("Erase this now?", default=False, err=True):
                raise typer.Exit(1)
        report = run_erasure(
            engine=reg.engine,
            sessions=reg.sessions,
            files=_files(settings),
            organisation_number=organisation_number,
            actor=_who(actor),
            now=dt.datetime.now(dt.UTC),
            signatory_id=signatory,
            submission_id=submission,
        )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    _print_report(report, done=True)


@app.command("retention")
def retention_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list, delete nothing")] = False,
    as_json: JsonOpt = False,
    actor: ActorOpt = None,
) -> None:
    """Delete the scans past their declaration's retention time (gallring), audited."""
    import datetime as dt
    import json

    from api.cli.registry import opened
    from api.settings import get_settings
    from ingest.erase_files import run_retention

    settings = get_settings()
    with opened() as reg:
        run = run_retention(
            sessions=reg.sessions,
            files=_files(settings),
            now=dt.datetime.now(dt.UTC),
            actor=actor or "retention",
            dry_run=dry_run,
        )
    if as_json:
        typer.echo(json.dumps(run.to_dict(), ensure_ascii=False))
        return
    verb = "would delete" if dry_run else "deleted"
    for d in run.plan.due:
        on = ", ".join(d.declarations) or "no declaration"
        typer.echo(
            f"{d.submission_id:>6}  {d.sha256[:12]}  {d.kind.value:<8}  {on}: {d.rule.describe()}"
            f" from {d.since.date().isoformat()}, due {d.deletes_at.date().isoformat()}"
        )
    typer.echo(f"{verb} {len(run.plan.due)} scans; kept {run.plan.kept}")
    if not dry_run:
        f = run.files
        typer.echo(
            f"files deleted: {f.archive} archived, {f.quarantine} quarantined,"
            f" {f.page_images} page images ({run.leftover} left by an earlier run)"
        )
    elif run.leftover:
        typer.echo(f"{run.leftover} scans marked deleted still have files: run without --dry-run")


def _limit(text: str | None, name: str) -> int | None:
    if text is None or text.strip().lower() == NEVER:
        return None
    try:
        return int(text)
    except ValueError:
        typer.echo(f"signreg: {name} is a whole number or '{NEVER}', not {text!r}", err=True)
        raise typer.Exit(2) from None


@declaration_app.command("retention")
def declaration_retention_command(
    slug: Annotated[str, typer.Argument(help="the declaration (its slug)")],
    rejected_months: Annotated[
        str | None,
        typer.Option("--rejected-months", help="rejected, duplicate, unread scans: N or never"),
    ] = None,
    approved_years: Annotated[
        str | None, typer.Option("--approved-years", help="approved scans: M or never")
    ] = None,
    as_json: JsonOpt = False,
    actor: ActorOpt = None,
) -> None:
    """Show, or set, how long a declaration's received scans are kept."""
    import datetime as dt
    import json

    from api.cli.registry import opened
    from registry.declarations import get_declaration
    from registry.retention import rules_of, set_retention

    with opened() as reg, reg.sessions.begin() as s:
        row = get_declaration(session=s, slug=slug)
        if rejected_months is not None or approved_years is not None:
            current = rules_of(row)
            row = set_retention(
                session=s,
                slug=slug,
                rejected_months=(
                    _limit(rejected_months, "--rejected-months")
                    if rejected_months is not None
                    else current["rejected_months"]
                ),
                approved_years=(
                    _limit(approved_years, "--approved-years")
                    if approved_years is not None
                    else current["approved_years"]
                ),
                actor=_who(actor),
                now=dt.datetime.now(dt.UTC),
            )
        rules = rules_of(row)
    if as_json:
        typer.echo(json.dumps({"declaration": slug, **rules}))
        return
    months, years = rules["rejected_months"], rules["approved_years"]
    typer.echo(
        f"{slug}: rejected, duplicate and unread scans "
        f"{'kept' if months is None else f'{months} months'}; approved scans "
        f"{'kept' if years is None else f'{years} years'}"
    )
