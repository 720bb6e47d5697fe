"""The review queue and one proposal (reviewers only). Being built: see issue 10."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import ReviewerDep, render

router = APIRouter(include_in_schema=False)


@router.get("/review")
def queue_page(request: Request, viewer: ReviewerDep) -> Response:
    return render(request, "review/queue.html", viewer=viewer, nav="queue")
