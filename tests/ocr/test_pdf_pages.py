"""Page images: embedded scans taken as stored, /Rotate applied, other pages rendered."""

from __future__ import annotations

import io
import random

import img2pdf
import numpy as np
import pytest
from PIL import Image

from ocr.pages import PageImage, page_image, page_images, render_page
from ocr.pdf import open_pdf
from tests.ocr import pdf_factory as make

pytestmark = pytest.mark.timeout(120)
W, H = make.A4_PX_200


def _bar_is_top_left(page: PageImage) -> bool:
    """The black bar of :func:`make.page_picture` sits at the top left, upright."""
    h, w = page.image.shape
    top_left = page.image[: h // 6, : w // 2]
    bottom_right = page.image[h * 5 // 6 :, w // 2 :]
    return top_left.mean() < 230 and bottom_right.mean() > 250


def _near(shape: tuple[int, ...], expected: tuple[float, float]) -> bool:
    return all(abs(a - b) <= 1 for a, b in zip(shape, expected, strict=True))


@pytest.mark.parametrize("kind", ["flate", "flate-1bit", "jpeg", "jpeg-grey", "g4"])
def test_embedded_scan_taken_as_stored(kind: str) -> None:
    page = next(page_images(open_pdf(make.scan_pdf(kind, dpi=200))))
    assert page.index == 0 and page.number == 1
    assert page.image.dtype == np.uint8
    assert page.image.shape == (H, W)  # the stored pixels, not a 300 dpi rendering
    assert page.dpi == pytest.approx(200, abs=0.5)
    assert _bar_is_top_left(page)
    assert page.image[H // 12 + 5, W // 8] < 40  # black stays black (G4 not inverted)


def test_colour_scan_keeps_rgb_for_blue_ink() -> None:
    page = next(page_images(open_pdf(make.scan_pdf("jpeg"))))
    assert page.colour
    assert page.rgb is not None and page.rgb.shape == (H, W, 3)
    r, g, b = page.rgb[H // 2 + 10, W // 2 + 10]
    assert b > 150 and r < 80


@pytest.mark.parametrize("kind", ["flate", "flate-1bit", "jpeg", "jpeg-grey", "g4"])
def test_grey_only_pages_are_the_same_page(kind: str) -> None:
    """``colour=False`` (what the pipeline asks for) decodes less, not differently."""
    data = make.scan_pdf(kind, dpi=200)
    full = next(page_images(open_pdf(data)))
    grey = next(page_images(open_pdf(data), colour=False))
    assert not grey.colour and grey.rgb is None
    assert grey.image.shape == full.image.shape and grey.dpi == full.dpi
    diff = np.abs(grey.image.astype(int) - full.image.astype(int))
    assert diff.mean() < 0.5 and diff.max() <= 16  # a colour JPEG's luma vs RGB -> grey


@pytest.mark.parametrize("mode", ["L", "1", "RGB"])
def test_png_filtered_flate_decoded_exactly(mode: str) -> None:
    """Flate images with PNG row filters (every filter type, as in noisy scans) come out
    pixel for pixel as stored."""
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (301, 203, 3) if mode == "RGB" else (301, 203), dtype=np.uint8)
    picture = Image.fromarray(noise).convert(mode) if mode == "1" else Image.fromarray(noise)
    buf = io.BytesIO()
    picture.save(buf, "PNG")
    data = img2pdf.convert([buf.getvalue()])
    page = next(page_images(open_pdf(data)))
    want = np.asarray(picture.convert("L"))
    assert np.array_equal(page.image, want) if mode != "RGB" else page.image.shape == want.shape
    if mode == "RGB":
        assert page.rgb is not None and np.array_equal(page.rgb, noise)


@pytest.mark.parametrize("kind", ["flate", "flate-1bit", "jpeg-grey", "g4"])
def test_grey_scan_has_no_rgb(kind: str) -> None:
    page = next(page_images(open_pdf(make.scan_pdf(kind))))
    assert not page.colour and page.rgb is None


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotate_applied_like_a_viewer(degrees: int) -> None:
    doc = open_pdf(make.rotated(make.scan_pdf("g4"), degrees))
    assert doc.pages[0].rotate == degrees
    page = next(page_images(doc))
    expected = (W, H) if degrees in (90, 270) else (H, W)
    assert page.image.shape == expected
    viewer = render_page(doc, 0, 200)  # pdfium draws the page as a viewer shows it
    h = min(page.image.shape[0], viewer.image.shape[0])
    w = min(page.image.shape[1], viewer.image.shape[1])
    differs = np.abs(page.image[:h, :w].astype(int) - viewer.image[:h, :w]) > 128
    assert differs.mean() < 0.01


def test_upright_after_rotate_back() -> None:
    page = next(page_images(open_pdf(make.rotated(make.rotated(make.scan_pdf("flate"), 90), 270))))
    assert _bar_is_top_left(page)


@pytest.mark.parametrize("kind", ["flate", "jpeg", "jpeg-grey", "g4"])
def test_target_dpi_downscales(kind: str) -> None:
    data = make.scan_pdf(kind, dpi=400, size=(3308, 4678))
    page = next(page_images(open_pdf(data), target_dpi=200))
    assert page.dpi == 200
    assert page.image.shape == (2339, 1654)
    assert _bar_is_top_left(page)


def test_target_dpi_never_upscales() -> None:
    page = next(page_images(open_pdf(make.scan_pdf("flate", dpi=200)), target_dpi=300))
    assert page.dpi == pytest.approx(200, abs=0.5)
    assert page.image.shape == (H, W)


def test_vector_page_is_rendered() -> None:
    doc = open_pdf(make.vector_text_pdf())
    page = next(page_images(doc, target_dpi=150))
    assert page.dpi == 150
    assert _near(page.image.shape, (842 * 150 / 72, 595 * 150 / 72))
    top = page.image[: page.image.shape[0] // 3]
    assert (top < 128).sum() > 500  # the text was drawn
    assert not page.colour


def test_blank_page_beside_a_real_one_is_white() -> None:
    data = make.pages_pdf([b"", b"0 0 0 rg 100 100 200 200 re f"])
    pages = list(page_images(open_pdf(data), target_dpi=72))
    assert len(pages) == 2
    assert pages[0].image.min() == 255
    assert pages[1].image.min() == 0


def test_page_image_from_bytes_alone() -> None:
    data = make.scan_pdf("jpeg-grey", pages=3, size=(400, 560))
    third = page_image(data, 2)
    assert third.index == 2
    assert third.image.shape == (560, 400)
    with pytest.raises(IndexError):
        page_image(data, 3)


def test_small_image_on_a_letter_is_rendered_not_taken() -> None:
    data = make.image_bomb_pdf(32, 32, cm=b"60 0 0 60 50 700")
    page = next(page_images(open_pdf(data), target_dpi=100))
    assert page.dpi == 100
    assert _near(page.image.shape, (842 * 100 / 72, 595 * 100 / 72))


@pytest.mark.parametrize("seed", range(3))
def test_damaged_files_give_pages_or_reasons(seed: int) -> None:
    """Random byte damage: every file opens and yields pages, or raises with a reason."""
    from ocr.errors import ExtractionError

    rng = random.Random(seed)
    originals = [make.scan_pdf(kind, size=(300, 400)) for kind in ("g4", "jpeg", "flate-1bit")]
    originals.append(make.vector_text_pdf())
    for _ in range(40):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(data))
            if rng.random() < 0.7:
                data[pos] = rng.randrange(256)
            else:
                del data[pos : pos + rng.randint(1, 40)]
        try:
            pages = list(page_images(open_pdf(bytes(data)), target_dpi=72))
        except ExtractionError as e:
            assert e.reason and str(e)
        else:
            assert all(p.image.dtype == np.uint8 and p.image.size for p in pages)
