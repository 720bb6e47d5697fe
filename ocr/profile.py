"""Form profiles: what is printed on a declaration's paper form, as data.

One TOML file per declaration in ``ocr/profiles/`` (slug, title, follow-up interval,
phrases that identify the form, the label variants of each field, the signature
labels). A new declaration needs a new file, not new code. ``place_date`` is one label
on paper for two fields, ``place`` and ``signed_date``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ocr.errors import InvalidInput, Reason
from ocr.model import FIELD_NAMES

PLACE_DATE = "place_date"
# label groups on paper → the result fields they fill
LABEL_FIELDS: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in FIELD_NAMES if name not in ("place", "signed_date")},
    PLACE_DATE: ("place", "signed_date"),
}
# the signing block's rows, top to bottom, as the declarations' paper forms print them
# (the join-online form draws them so; the sample generator's layouts start from them)
BLOCK_ROWS = (
    "organisation",
    "organisation_number",
    "county",
    PLACE_DATE,
    "signature",
    "signatory_name",
    "signatory_title",
    "email",
)


@dataclass(frozen=True, slots=True)
class FormProfile:
    """One declaration's paper form."""

    slug: str
    title: str
    follow_up_years: int
    identify: tuple[str, ...]  # phrases of the printed text, any one identifies the form
    counties: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]  # label group (a field, or "place_date") → variants
    signature_labels: tuple[str, ...]

    def labels_for(self, group: str) -> tuple[str, ...]:
        return self.labels.get(group, ())

    @property
    def all_labels(self) -> tuple[tuple[str, str], ...]:
        """``(group, label)`` for every label variant, the signature's as group "signature"."""
        pairs = [(group, label) for group, variants in self.labels.items() for label in variants]
        pairs += [("signature", label) for label in self.signature_labels]
        return tuple(pairs)


def profile_from_toml(text: str) -> FormProfile:
    """Parse one profile; raise :class:`InvalidInput` naming what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InvalidInput(f"form profile is not valid TOML: {e}", reason=Reason.MALFORMED) from e
    slug = _required(data, "slug", str)
    fields = _required(data, "fields", dict)
    unknown = set(fields) - set(LABEL_FIELDS)
    if unknown:
        raise _bad(slug, f"unknown field(s) {sorted(unknown)}; known: {sorted(LABEL_FIELDS)}")
    labels = {group: _labels(slug, group, spec) for group, spec in fields.items()}
    signature = data.get("signature", {})
    return FormProfile(
        slug=slug,
        title=_required(data, "title", str),
        follow_up_years=int(data.get("follow_up_years", 2)),
        identify=tuple(str(p).lower() for p in data.get("identify", ())),
        counties=tuple(str(c) for c in data.get("counties", ())),
        labels=labels,
        signature_labels=_labels(slug, "signature", signature),
    )


def load_profiles(directory: Path | None = None) -> tuple[FormProfile, ...]:
    """Every ``*.toml`` profile in ``directory`` (default: the package's own), by slug."""
    if directory is None:
        root = resources.files("ocr") / "profiles"
        texts = [p.read_text(encoding="utf-8") for p in root.iterdir() if p.name.endswith(".toml")]
    else:
        texts = [p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.toml"))]
    profiles = sorted((profile_from_toml(t) for t in texts), key=lambda p: p.slug)
    slugs = [p.slug for p in profiles]
    if len(set(slugs)) != len(slugs):
        raise InvalidInput(f"form profiles share a slug: {slugs}", reason=Reason.MALFORMED)
    return tuple(profiles)


def _labels(slug: str, group: str, spec: Any) -> tuple[str, ...]:
    """``labels`` (the form's wordings; the first is the canonical one) and then
    ``more``: wordings seen on forms retyped elsewhere (``Namn:``, ``Mejl``), matched
    alike but not drawn by the sample generator's older splits."""
    labels = spec.get("labels") if isinstance(spec, dict) else None
    more = spec.get("more", []) if isinstance(spec, dict) else []
    if not labels or not isinstance(more, list):
        raise _bad(slug, f"[{group}] needs a non-empty list of labels")
    if not all(isinstance(label, str) and label.strip() for label in [*labels, *more]):
        raise _bad(slug, f"[{group}] needs a non-empty list of labels")
    return tuple(dict.fromkeys(label.strip() for label in [*labels, *more]))


def _required(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or not value:
        raise _bad(str(data.get("slug", "?")), f"missing or empty {key!r}")
    return value


def _bad(slug: str, what: str) -> InvalidInput:
    return InvalidInput(f"form profile {slug!r}: {what}", reason=Reason.MALFORMED)
