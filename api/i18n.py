"""Languages: Swedish first, English second, from gettext catalogues (Babel).

Message ids are English; ``api/locale/sv/LC_MESSAGES/*.po`` translate them to Swedish
(English needs no catalogue). Each area of the web keeps its own ``.po`` file
(``auth.po``, ``review.po``, ``public.po``, …); they are merged into one catalogue per
language when the app starts. A test checks that every message used in a template or
a route has its Swedish translation.

One Jinja2 environment per language, each with its translations installed (Jinja2's
i18n extension, new-style gettext), so a request renders in its reviewer's language
without shared mutable state.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

LOCALE_DIR = Path(__file__).parent / "locale"
TEMPLATE_DIR = Path(__file__).parent / "templates"
LOCALES = ("sv", "en")
DEFAULT_LOCALE = "sv"


def load_translations(locale: str) -> gettext.NullTranslations:
    """Every ``.po`` catalogue of ``locale``, merged; English falls back to the ids."""
    merged: Translations | None = None
    for po in sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        part = Translations(buf, domain="messages")
        merged = part if merged is None else merged.merge(part)
    return merged if merged is not None else gettext.NullTranslations()


@dataclass(frozen=True)
class I18n:
    """The translations and the template environment of each language."""

    translations: dict[str, gettext.NullTranslations]
    environments: dict[str, Environment]

    def env(self, locale: str | None) -> Environment:
        return self.environments.get(locale or DEFAULT_LOCALE, self.environments[DEFAULT_LOCALE])

    def gettext(self, locale: str | None, message: str) -> str:
        t = self.translations.get(locale or DEFAULT_LOCALE) or self.translations[DEFAULT_LOCALE]
        return t.gettext(message)


def best_locale(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The first of our languages in an Accept-Language header; else ``default``."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LOCALES:
            return tag[:2]
    return default


def make_i18n() -> I18n:
    translations = {locale: load_translations(locale) for locale in LOCALES}
    environments = {}
    for locale, t in translations.items():
        env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            autoescape=select_autoescape(["html", "xml", "svg"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(t, newstyle=True)  # type: ignore[attr-defined]
        env.globals["locale"] = locale
        environments[locale] = env
    return I18n(translations=translations, environments=environments)
