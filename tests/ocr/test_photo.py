"""Phone photos (samples.photo, dev split) through ocr.photo and ocr.extract, real Tesseract."""

from __future__ import annotations

import io
import random
import struct
import zlib
from dataclasses import replace

import cv2
import numpy as np
import pytest
from PIL import Image

import ocr
from ocr.errors import ExtractionError, InvalidInput, LimitExceeded, NoPageInPhoto, Reason
from ocr.images import check_image, decode, image_kind, image_pages
from ocr.photo import find_page, photo_page
from ocr.sniff import describe_non_pdf
from samples.photo import block_page, photograph, plan_photo, render_not_a_page, render_photo

SEED = 1  # dev split: what the photo code was tuned on (the bench uses other seeds)


def corner_error(found: np.ndarray, truth: list[list[float]]) -> float:
    """Mean distance between the corners, the best of the four ways round."""
    t = np.asarray(truth, np.float32)
    return min(float(np.mean(np.hypot(*(np.roll(found, k, axis=0) - t).T))) for k in range(4))


def small_photo(index: int, **changes: object) -> tuple[bytes, dict]:
    """A 3 MP photo of dev sample ``index`` (quicker than 12 MP), with ``changes``."""
    spec = replace(plan_photo(index, SEED, "dev"), frame=(1512, 2016), **changes)  # type: ignore[arg-type]
    return render_photo(index, SEED, "dev", spec)


@pytest.mark.parametrize(
    ("index", "changes"),
    [
        (0, {"surface": "wood", "tilt_deg": 22.0}),
        (3, {"surface": "light", "light": 0.55, "shadow": 0.4}),
        (5, {"surface": "cloth", "turn_deg": 93.0}),
        (8, {"surface": "tiles", "turn_deg": 184.0, "blur": 1.6}),
    ],
)
def test_the_page_is_found_where_it_lies(index: int, changes: dict) -> None:
    data, truth = small_photo(index, **changes)
    _, [rgb] = decode(data)
    quad = find_page(rgb)
    assert quad.how == "edges"
    assert corner_error(quad.corners, truth["photo"]["corners"]) < 0.006 * max(rgb.shape)


def test_the_found_page_is_an_a4_scan_with_even_paper() -> None:
    data, truth = small_photo(3, surface="desk", light=0.55, shadow=0.45)
    page = photo_page(data)
    h, w = page.image.shape
    assert 200 <= page.dpi <= 300
    assert abs(h / w - 297 / 210) < 0.01
    # paper is even white wherever the light fell: each quarter's paper level the same
    quarters = [
        page.image[: h // 2, : w // 2],
        page.image[: h // 2, w // 2 :],
        page.image[h // 2 :, : w // 2],
        page.image[h // 2 :, w // 2 :],
    ]
    levels = [float(np.percentile(q, 75)) for q in quarters]
    assert min(levels) >= 230 and max(levels) - min(levels) <= 12
    # and the photo itself was not even: the same page, only warped, differs far more
    _, [raw] = decode(data, colour=False)
    corners = np.asarray(truth["photo"]["corners"], np.float32)
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    warped = cv2.warpPerspective(raw, cv2.getPerspectiveTransform(corners, target), (w, h))
    raw_levels = [
        float(np.percentile(q, 75))
        for q in (
            warped[: h // 2, : w // 2],
            warped[: h // 2, w // 2 :],
            warped[h // 2 :, : w // 2],
            warped[h // 2 :, w // 2 :],
        )
    ]
    assert max(raw_levels) - min(raw_levels) > 2 * (max(levels) - min(levels)) + 10


def test_exif_orientation_is_honoured() -> None:
    page, _, _ = block_page(1, SEED, "dev", 300)
    spec = replace(plan_photo(1, SEED, "dev"), frame=(1512, 2016), turn_deg=2.0)
    stored = {}
    for tag in (1, 6, 8):
        data, corners = photograph(
            page, replace(spec, exif=tag), random.Random(5), np.random.default_rng(5)
        )
        with Image.open(io.BytesIO(data)) as f:
            stored[tag] = (f.size, f.getexif().get(0x0112))
        _, [rgb] = decode(data)
        assert rgb.shape[:2] == (2016, 1512)  # displayed upright, whatever was stored
        assert corner_error(find_page(rgb).corners, corners.tolist()) < 12
    assert stored[1] == ((1512, 2016), 1)
    assert stored[6] == ((2016, 1512), 6) and stored[8] == ((2016, 1512), 8)


@pytest.mark.parametrize("index", range(6))
def test_a_photo_of_something_else_is_a_clear_error(index: int) -> None:
    data, kind = render_not_a_page(index, SEED)
    with pytest.raises(NoPageInPhoto) as caught:
        ocr.extract(data)
    assert caught.value.reason == Reason.NO_PAGE_IN_PHOTO
    message = str(caught.value)
    if kind in ("card", "receipt"):
        assert "not a form page" in message
    else:
        assert message.startswith("no page found in the photo")


def _as_heic(jpeg: bytes) -> bytes:
    import pillow_heif

    with Image.open(io.BytesIO(jpeg)) as image:
        out = io.BytesIO()
        pillow_heif.from_pillow(image.convert("RGB")).save(out, quality=90)
    return out.getvalue()


def test_a_heic_photo_is_read_as_a_jpeg_is() -> None:
    """An iPhone's default: the same photo as HEIC gives the same values (libheif)."""
    data, truth = render_photo(1, SEED, "dev")
    heic = _as_heic(data)
    assert image_kind(heic) == "heic" and describe_non_pdf(heic) == "a HEIC image"
    assert check_image(heic).kind == "heic"
    [got] = ocr.extract(heic).declarations
    want = truth["declarations"][0]
    for name in ("organisation", "organisation_number", "place", "signatory_name"):
        assert got.fields[name].value == want["fields"][name], name


def test_a_broken_heic_is_a_clear_error() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    assert image_kind(heic) == "heic"
    with pytest.raises(InvalidInput) as caught:
        ocr.extract(heic)
    assert caught.value.reason == Reason.TRUNCATED
    assert str(caught.value).startswith("the HEIC image cannot be read")


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", 0)
        + b"IDAT"
        + struct.pack(">I", zlib.crc32(b"IDAT"))
    )


def test_image_checks_refuse_bombs_and_broken_files() -> None:
    with pytest.raises(LimitExceeded) as bomb:
        check_image(_png_header(60_000, 60_000))
    assert bomb.value.reason == Reason.TOO_MANY_PIXELS
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 10, 10)).save(buf, "JPEG")
    good = buf.getvalue()
    info = check_image(good)
    assert (info.kind, info.width, info.height) == ("jpeg", 400, 300)
    with pytest.raises(ExtractionError) as cut:
        check_image(good[: len(good) // 3])
    assert cut.value.reason in (Reason.TRUNCATED, Reason.MALFORMED)
    with pytest.raises(InvalidInput) as empty:
        check_image(b"")
    assert empty.value.reason == Reason.EMPTY


def test_a_multipage_tiff_scan_is_read_page_by_page() -> None:
    frames = [
        Image.fromarray(np.full((2339, 1654), 255, np.uint8)),
        Image.fromarray(np.full((2339, 1654), 250, np.uint8)),
    ]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], dpi=(200, 200))
    pages = image_pages(buf.getvalue())
    assert [p.index for p in pages] == [0, 1]
    assert all(abs(p.dpi - 200) < 0.5 and p.image.shape == (2339, 1654) for p in pages)
    result = ocr.extract(buf.getvalue())
    assert result.pages == 2 and result.declarations == ()


@pytest.mark.parametrize("index", [1, 3])
def test_values_are_read_from_a_photo_end_to_end(index: int) -> None:
    data, truth = render_photo(index, SEED, "dev")
    result = ocr.extract(data)
    assert result.pages == 1
    [got] = result.declarations
    want = truth["declarations"][0]
    for name in ("organisation", "organisation_number", "place", "signed_date", "signatory_name"):
        assert got.fields[name].value == want["fields"][name], name
    assert got.signature.present is want["signature"]["present"]
