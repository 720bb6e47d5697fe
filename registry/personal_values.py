"""A person's values in the registry's rows and JSON, and how they are replaced.

Erasure (``registry.erasure``) finds a signer's name and e-mail where they stand
under their keys (``signer_name`` in a membership's snapshot, ``signatory_name`` in a
proposal's fields, ``email`` …), then replaces them with ``[raderat]``
(:data:`registry.audit.ERASED`): every string under a personal key, and the values
found inside any other text. A name matches with any spacing, dots, dashes or
underscores between its parts (``greta-hemligsson`` is ``Greta Hemligsson``); in a file
name and in mail each part of a name (of :data:`MIN_FREE_TEXT` letters or more) goes
alone too. A title is replaced only under its key (``VD`` would match too much).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from registry.audit import ERASED

# the person's values under these keys, in a proposal's fields and in audit events
NAME_KEYS = frozenset({"signer_name", "signatory_name"})
TITLE_KEYS = frozenset({"signer_title", "signatory_title"})
EMAIL_KEYS = frozenset({"signer_email", "email"})
PERSONAL_KEYS = NAME_KEYS | TITLE_KEYS | EMAIL_KEYS
PERSONAL_FIELDS = ("signatory_name", "signatory_title", "email")  # Proposal.fields
# a name or e-mail shorter than this is replaced only where it stands under its key,
# never inside other text (it would match too much)
MIN_FREE_TEXT = 4
_SPLIT = re.compile(r"[\s._\-]+")
_SEPARATORS = r"[\s._\-]*"


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner)


def under_keys(value: Any, keys: frozenset[str]) -> Iterator[str]:
    """Every string standing under one of ``keys``, anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in keys:
                yield from strings(inner)
            else:
                yield from under_keys(inner, keys)
    elif isinstance(value, list):
        for inner in value:
            yield from under_keys(inner, keys)


@dataclass(frozen=True, slots=True)
class PersonalValues:
    """The person's values, found in the rows, and how to replace them: a name matches
    with any spacing, dots, dashes or underscores between its parts (``greta-hemligsson``
    is ``Greta Hemligsson``); in a file name, mail and its attachments' names each part
    of a name (of :data:`MIN_FREE_TEXT` letters or more) is replaced by itself too."""

    words: tuple[str, ...]  # names and e-mails (longest first)
    pattern: re.Pattern[str] | None
    parts: re.Pattern[str] | None  # the above, and each part of a name alone

    @classmethod
    def of(cls, found: Iterable[str]) -> PersonalValues:
        words = sorted(
            {w.strip() for w in found if w and len(w.strip()) >= MIN_FREE_TEXT and w != ERASED},
            key=lambda w: (-len(w), w),
        )
        if not words:
            return cls((), None, None)
        loose = [_SEPARATORS.join(re.escape(t) for t in _SPLIT.split(w) if t) for w in words]
        parts = {
            t for w in words if "@" not in w for t in _SPLIT.split(w) if len(t) >= MIN_FREE_TEXT
        }
        by_part = sorted(parts, key=lambda t: (-len(t), t))
        return cls(
            tuple(words),
            re.compile("|".join(loose), re.IGNORECASE),
            re.compile("|".join([*loose, *(re.escape(t) for t in by_part)]), re.IGNORECASE),
        )

    def text(self, value: str) -> tuple[str, int]:
        if self.pattern is None:
            return value, 0
        return self.pattern.subn(ERASED, value)

    def name_text(self, value: str) -> tuple[str, int]:
        """A file name, a mail's sender or subject: each part of a name goes too."""
        if self.parts is None:
            return value, 0
        return self.parts.subn(ERASED, value)

    def json(self, value: Any, *, keyed: bool) -> tuple[Any, int]:
        """``value`` with the person's values replaced: inside every string, and with
        ``keyed`` every string under a personal key whatever it says."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            out_list, total = [], 0
            for inner in value:
                new, n = self.json(inner, keyed=keyed)
                out_list.append(new)
                total += n
            return out_list, total
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            total = 0
            for key, inner in value.items():
                if keyed and key in PERSONAL_KEYS:
                    new, n = blank(inner)
                else:
                    new, n = self.json(inner, keyed=keyed)
                out[key] = new
                total += n
            return out, total
        return value, 0


def blank(value: Any) -> tuple[Any, int]:
    """Every string in ``value`` as ``[raderat]`` (a personal key's value)."""
    if isinstance(value, str):
        return (value, 0) if value == ERASED else (ERASED, 1)
    if isinstance(value, list):
        pairs = [blank(v) for v in value]
        return [p[0] for p in pairs], sum(p[1] for p in pairs)
    if isinstance(value, dict):
        items = {k: blank(v) for k, v in value.items()}
        return {k: p[0] for k, p in items.items()}, sum(p[1] for p in items.values())
    return value, 0
