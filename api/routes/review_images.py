"""The review pages' images (reviewers only, in their scope): a proposal's scanned page
and the crop of a value or of the signature, rendered once and kept on disk
(``api.page_images``), sent with an ETag and cached privately by the browser.
Included by ``api.routes.review``.

    GET  /review/{id}/page/{n}.png    the page as shown
    GET  /review/{id}/crop/{f}.png    a value's crop, or the signature's

Reviewers see a scan only as these images, rendered by us (``nosniff`` and a sandboxing
CSP on each); the original PDF, which may hold scripts or embedded files, is never
shown by the browser (the quarantine's download sends it as an attachment).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import ReadDB, ReviewerDep
from api.page_images import PageImages, page_images_for
from api.review_pages import load_proposal, scan_of
from api.review_views import SIGNATURE_PAD, VALUE_PAD
from ocr.model import FIELD_NAMES
from registry.errors import NotFound

router = APIRouter(include_in_schema=False)
IMAGE_CACHE = "private, max-age=86400"
IMAGE_CSP = "default-src 'none'; sandbox"  # a page image is only ever an image


def _images(request: Request) -> PageImages:
    config = request.app.state.ctx.config
    return page_images_for(
        request.app.state, cache_dir=config.cache_dir, archive_dir=config.archive_dir
    )


def _png(request: Request, path: Path) -> Response:
    etag = f'"{path.stem}"'
    headers = {"Cache-Control": IMAGE_CACHE, "ETag": etag, "Content-Security-Policy": IMAGE_CSP}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(path.read_bytes(), media_type="image/png", headers=headers)


@router.get("/review/{pid:int}/page/{number:int}.png")
def page_image(
    pid: int, number: int, request: Request, viewer: ReviewerDep, db: ReadDB
) -> Response:
    p = load_proposal(db, pid, viewer)
    if number not in (p.pages or []):
        raise NotFound("page", number)
    sha = scan_of(p)
    db.close()  # rendering needs no database
    return _png(request, _images(request).page(sha, number))


@router.get("/review/{pid:int}/crop/{name}.png")
def crop_image(pid: int, name: str, request: Request, viewer: ReviewerDep, db: ReadDB) -> Response:
    p = load_proposal(db, pid, viewer)
    if name == "signature":
        entry, pad = p.signature or {}, SIGNATURE_PAD
    elif name in FIELD_NAMES:
        entry, pad = (p.fields or {}).get(name) or {}, VALUE_PAD
    else:
        raise NotFound("field", name)
    if not entry.get("bbox") or entry.get("page") is None:
        raise NotFound("box of", name)
    sha = scan_of(p)
    db.close()
    return _png(request, _images(request).crop(sha, int(entry["page"]), entry["bbox"], pad=pad))
