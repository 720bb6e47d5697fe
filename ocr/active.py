"""Active content in a PDF: what a viewer might run or open, found and reported, never run.

We only rasterise pages (pypdfium2 without its form environment, so no JavaScript
engine is ever started; pypdf only parses), so a PDF's scripts, launch actions and
embedded files do nothing here. A person who opens the original in a viewer is another
matter: :func:`find_active_content` lists what kinds the document holds, as a fact
(:attr:`ocr.pdf.PdfDocument.active_content`); :func:`flag_active_content` puts the
``active_content`` flag on every declaration read from such a file, and the registry
and the review pages decide what to show.

The walk is bounded (objects visited, depth) and never raises: a document too damaged
to walk is judged by what was seen.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from ocr.model import Extraction

FLAG = "active_content"
_MAX_OBJECTS = 20_000
_MAX_DEPTH = 32


class ActiveContent(enum.StrEnum):
    JAVASCRIPT = "javascript"  # a /JavaScript action or name tree, a /JS entry
    LAUNCH = "launch"  # a /Launch action: run a program or open a file
    EMBEDDED_FILE = "embedded_file"  # /EmbeddedFiles, a /FileAttachment annotation
    OPEN_ACTION = "open_action"  # an action run when the document opens
    ADDITIONAL_ACTIONS = "additional_actions"  # /AA: actions on page open, close, …
    SUBMIT_FORM = "submit_form"  # /SubmitForm, /ImportData: send or load data
    REMOTE_GOTO = "remote_goto"  # /GoToR, /GoToE: open another document
    XFA = "xfa"  # an XFA form (scripts of its own)
    RICH_MEDIA = "rich_media"  # /RichMedia, /Movie, /Sound, /Screen annotations


_ACTIONS = {
    "/JavaScript": ActiveContent.JAVASCRIPT,
    "/Launch": ActiveContent.LAUNCH,
    "/SubmitForm": ActiveContent.SUBMIT_FORM,
    "/ImportData": ActiveContent.SUBMIT_FORM,
    "/GoToR": ActiveContent.REMOTE_GOTO,
    "/GoToE": ActiveContent.REMOTE_GOTO,
    "/Rendition": ActiveContent.RICH_MEDIA,
    "/Movie": ActiveContent.RICH_MEDIA,
    "/Sound": ActiveContent.RICH_MEDIA,
}
_ANNOTATIONS = {
    "/FileAttachment": ActiveContent.EMBEDDED_FILE,
    "/RichMedia": ActiveContent.RICH_MEDIA,
    "/Movie": ActiveContent.RICH_MEDIA,
    "/Sound": ActiveContent.RICH_MEDIA,
    "/Screen": ActiveContent.RICH_MEDIA,
}
_KEYS = {
    "/JS": ActiveContent.JAVASCRIPT,
    "/AA": ActiveContent.ADDITIONAL_ACTIONS,
    "/EmbeddedFile": ActiveContent.EMBEDDED_FILE,
    "/EmbeddedFiles": ActiveContent.EMBEDDED_FILE,
    "/EF": ActiveContent.EMBEDDED_FILE,  # a file specification holding the file
    "/XFA": ActiveContent.XFA,
    "/RichMediaContent": ActiveContent.RICH_MEDIA,
}


def find_active_content(root: Any) -> tuple[ActiveContent, ...]:
    """The kinds of active content reachable from the catalog ``root`` (a pypdf object:
    pages, annotations, name trees, forms), in the enum's order; () for none."""
    found: set[ActiveContent] = set()
    try:
        catalog = _resolve(root)
        if isinstance(catalog, DictionaryObject) and "/OpenAction" in catalog:
            action = _resolve(catalog["/OpenAction"])
            if isinstance(action, DictionaryObject):  # (an array is only a destination)
                found.add(ActiveContent.OPEN_ACTION)
        _walk([catalog], found)
    except Exception:  # noqa: BLE001 - a damaged document: report what was seen
        pass
    return tuple(kind for kind in ActiveContent if kind in found)


def _walk(start: list[Any], found: set[ActiveContent]) -> None:
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, int]] = [(obj, 0) for obj in start]
    visited = 0
    while stack and visited < _MAX_OBJECTS:
        obj, depth = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            try:
                obj = obj.get_object()
            except Exception:  # noqa: BLE001 - a dangling or broken reference
                continue
        visited += 1
        if depth > _MAX_DEPTH:
            continue
        if isinstance(obj, DictionaryObject):
            _look_at(obj, found)
            stack.extend((value, depth + 1) for key, value in _items(obj) if key != "/Parent")
        elif isinstance(obj, ArrayObject):
            stack.extend((value, depth + 1) for value in obj)


def _items(obj: DictionaryObject) -> Iterator[tuple[str, Any]]:
    for key in list(obj.keys()):
        try:
            yield str(key), obj.raw_get(key)
        except Exception:  # noqa: BLE001
            continue


def _look_at(obj: DictionaryObject, found: set[ActiveContent]) -> None:
    for key, kind in _KEYS.items():
        if key in obj:
            found.add(kind)
    action = _name(obj.raw_get("/S")) if "/S" in obj else None
    if action in _ACTIONS:
        found.add(_ACTIONS[action])
    subtype = _name(obj.raw_get("/Subtype")) if "/Subtype" in obj else None
    if subtype in _ANNOTATIONS:
        found.add(_ANNOTATIONS[subtype])


def _name(value: Any) -> str | None:
    value = _resolve(value)
    return str(value) if isinstance(value, str) else None


def _resolve(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def flag_active_content(extraction: Extraction, kinds: tuple[str, ...]) -> Extraction:
    """``extraction`` with the ``active_content`` flag on every declaration when the PDF
    holds active content (``kinds`` non-empty); unchanged otherwise."""
    if not kinds:
        return extraction
    declarations = tuple(
        d if FLAG in d.flags else replace(d, flags=(*d.flags, FLAG))
        for d in extraction.declarations
    )
    return replace(extraction, declarations=declarations)
