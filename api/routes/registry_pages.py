"""The register's pages for reviewers: organisations, signatories and the follow-up.

Each audience's pages live in their own module; this one only gathers their routers
(``api.app`` includes ``registry_pages.router``):

- ``api.routes.organisations``: search, edit, merge duplicates;
- ``api.routes.signatory_pages``: the memberships with their signers; withdraw, mark
  lapsed, reinstate, followed up;
- ``api.routes.follow_up``: who is due and who is overdue, and the same as CSV.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import follow_up, organisations, signatory_pages

router = APIRouter(include_in_schema=False)
for module in (organisations, signatory_pages, follow_up):
    router.include_router(module.router)
