"""Split a PDF's pages into declarations.

Every page with a signing block closes one declaration. Pages before it, back to the
previous block, belong to it when they are part of the same form: they carry the
form's identifying phrases (the title page of a two-page form). Pages with neither a
block nor the form's phrases (cover letters) belong to no declaration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PageFacts:
    number: int  # 1-based
    has_block: bool
    profile: str | None  # identified by phrases on this page


@dataclass(frozen=True, slots=True)
class Group:
    pages: tuple[int, ...]
    block_page: int
    profile: str | None


def split(pages: Sequence[PageFacts]) -> list[Group]:
    groups: list[Group] = []
    start = 0
    for i, page in enumerate(pages):
        if not page.has_block:
            continue
        members = [page.number]
        profile = page.profile
        j = i - 1
        while j >= start and not pages[j].has_block and pages[j].profile is not None:
            if profile is not None and pages[j].profile != profile:
                break
            members.insert(0, pages[j].number)
            profile = profile or pages[j].profile
            j -= 1
        groups.append(Group(pages=tuple(members), block_page=page.number, profile=profile))
        start = i + 1
    return groups
