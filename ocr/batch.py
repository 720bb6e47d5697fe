"""Split a PDF's pages into declarations.

Every page with a signing block closes one declaration. Pages before it, back to the
previous block, belong to it when they are part of the same form: before the first
block only pages whose title names the form (a cover letter comes first and does
not); between two blocks every page (in a batch the pages between two signing blocks
are the next form's first pages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PageFacts:
    number: int  # 1-based
    has_block: bool
    profile: str | None  # identified by phrases on this page
    continues: bool = False  # says it goes on to the next page ("Sida 1 av 2")


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
        while j >= start and not pages[j].has_block:
            if pages[j].profile is None and start == 0 and not pages[j].continues:
                break  # before the first form: a cover letter unless it names the form
            if profile is not None and pages[j].profile not in (None, profile):
                break
            members.insert(0, pages[j].number)
            profile = profile or pages[j].profile
            j -= 1
        groups.append(Group(pages=tuple(members), block_page=page.number, profile=profile))
        start = i + 1
    return groups
