"""The ``signreg`` command line.

One typer app; each audience's commands live in their own module and register
themselves on :data:`app`. Exceptions are mapped to exit status in one place,
:func:`main` (after OCRmyPDF's ``cli_exception_handler``).
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="signreg",
    help="Signatory registry: scanned, signed declarations in, a verified list out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Signatory registry: scanned, signed declarations in, a verified list out."""
    # a callback keeps `signreg extract …` a subcommand even while it is the only one


# Command modules register on `app` when imported.
from api.cli import backup as _backup  # noqa: E402,F401
from api.cli import doctor as _doctor  # noqa: E402,F401
from api.cli import extract as _extract  # noqa: E402,F401
from api.cli import ingest as _ingest  # noqa: E402,F401
from api.cli import mail as _mail  # noqa: E402,F401
from api.cli import privacy as _privacy  # noqa: E402,F401
from api.cli import registry as _registry  # noqa: E402,F401


def main() -> None:
    from ocr.errors import ExtractionError

    try:
        app()
    except ExtractionError as e:  # an error that escaped a command: one line, no trace
        print(f"signreg: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
