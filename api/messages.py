"""Which messages the web uses and which lack a Swedish translation.

``python -m api.messages`` lists every message id used in ``api/templates`` and
``api/**/*.py`` (gettext calls, ``_()``) that has no Swedish translation yet, and exits
1 if there is one; ``make lint`` and a test run it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir

from api.i18n import load_translations

API_DIR = Path(__file__).parent
METHOD_MAP = [("templates/**.html", "jinja2"), ("templates/**.js", "jinja2"), ("**.py", "python")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def used_messages() -> dict[str, str]:
    """Message id → where it is first used."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        API_DIR, METHOD_MAP, options_map=OPTIONS, keywords={"_": None, "gettext": None}
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for m in ids:
            if m:
                found.setdefault(m, f"{filename}:{lineno}")
    return found


def missing(locale: str = "sv") -> dict[str, str]:
    t = load_translations(locale)
    return {m: where for m, where in used_messages().items() if t.gettext(m) == m}


def main() -> int:
    gaps = missing()
    for message, where in sorted(gaps.items(), key=lambda kv: kv[1]):
        print(f"{where}: {message!r}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
