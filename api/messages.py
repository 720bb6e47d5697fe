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


Message = str | tuple[str, str]  # a plain message, or (singular, plural)


def used_messages() -> dict[Message, str]:
    """Message id (or singular and plural) → where it is first used."""
    found: dict[Message, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        API_DIR,
        METHOD_MAP,
        options_map=OPTIONS,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
    ):
        key: Message = (message[0], message[1]) if isinstance(message, tuple) else message
        if key:
            found.setdefault(key, f"{filename}:{lineno}")
    return found


def _translated(t: object, message: Message) -> bool:
    if isinstance(message, tuple):
        singular, plural = message
        return t.ngettext(singular, plural, 1) != singular  # type: ignore[attr-defined,no-any-return]
    return t.gettext(message) != message  # type: ignore[attr-defined,no-any-return]


def missing(locale: str = "sv") -> dict[Message, str]:
    t = load_translations(locale)
    return {m: where for m, where in used_messages().items() if not _translated(t, m)}


def main() -> int:
    gaps = missing()
    for message, where in sorted(gaps.items(), key=lambda kv: kv[1]):
        print(f"{where}: {message!r}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
