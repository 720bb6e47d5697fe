"""ocr.extract end to end on generated scans, with real Tesseract."""

from __future__ import annotations

import io

import img2pdf
import numpy as np
import pytest
from PIL import Image

import ocr
from ocr.pages import page_images
from ocr.pdf import open_pdf

SURE_FIELDS = ("organisation_number", "county", "signed_date")


def _check(decl, truth, names=SURE_FIELDS) -> None:
    for name in names:
        assert decl.fields[name].value == truth["fields"][name], name


def test_label_left_unsigned_form(dev_samples) -> None:
    data, truth = dev_samples[0]
    result = ocr.extract(data)
    assert len(result.declarations) == 1
    decl = result.declarations[0]
    _check(decl, truth["declarations"][0], ("organisation", *SURE_FIELDS, "signatory_name"))
    assert decl.signature.present is False
    assert "unsigned" in decl.flags
    assert decl.declaration == truth["declarations"][0]["declaration"]


def test_label_under_signed(dev_samples) -> None:
    data, truth = dev_samples[8]
    decl = ocr.extract(data).declarations[0]
    _check(decl, truth["declarations"][0])
    assert decl.signature.present is True
    assert decl.fields["county"].confidence >= 0.9
    assert all(0.0 <= v <= 1.0 for v in decl.fields["county"].bbox)


def test_two_page_form_pages(dev_samples) -> None:
    data, truth = dev_samples[6]
    result = ocr.extract(data)
    assert [list(d.pages) for d in result.declarations] == [
        d["pages"] for d in truth["declarations"]
    ]
    for got, want in zip(result.declarations, truth["declarations"], strict=True):
        _check(got, want)
        assert got.signature.present is want["signature"]["present"]


@pytest.mark.parametrize("turn", [1, 3])
def test_sideways_page(dev_samples, turn: int) -> None:
    data, truth = dev_samples[0]
    page = next(page_images(open_pdf(data)))
    buf = io.BytesIO()
    Image.fromarray(np.rot90(page.image, turn)).save(buf, format="PNG", dpi=(page.dpi, page.dpi))
    rotated = img2pdf.convert(buf.getvalue())
    decl = ocr.extract(rotated).declarations[0]
    _check(decl, truth["declarations"][0])


def test_lexicon_mismatch_is_flagged(dev_samples) -> None:
    data, truth = dev_samples[0]
    number = truth["declarations"][0]["fields"]["organisation_number"]
    decl = ocr.extract(data, lexicon={number: "Helt Annat Bolag AB"}).declarations[0]
    assert "orgnr_name_mismatch" in decl.flags
    name = truth["declarations"][0]["fields"]["organisation"]
    decl = ocr.extract(data, lexicon={number: name}).declarations[0]
    assert "orgnr_name_mismatch" not in decl.flags
    assert decl.fields["organisation"].confidence >= 0.9


def test_pytesseract_fallback_reads_the_same(dev_samples) -> None:
    data, truth = dev_samples[0]
    decl = ocr.extract(data, engine="pytesseract").declarations[0]
    _check(decl, truth["declarations"][0])


def test_unknown_engine_is_refused(dev_samples) -> None:
    with pytest.raises(ValueError, match="unknown OCR engine"):
        ocr.extract(dev_samples[0][0], engine="nope")


def test_hidden_first_label_does_not_shift_values(dev_sample) -> None:
    """Labels above their values, the first label hidden (a sticker, a stamp) and the
    last field blank: the labels' vote alone pairs each value with the label under it;
    the values that parse (number, county, date) show the right pairing."""
    data, truth = dev_sample(1, 13)  # label_above, one page, 300 dpi, upright
    assert truth["variant"]["layout"] == "label_above"
    want = truth["declarations"][0]["fields"]
    page = next(page_images(open_pdf(data)))
    img = page.image.copy()
    h, w = img.shape[:2]
    x0, y0, x1, y1 = truth["declarations"][0]["value_boxes"]["organisation"]["bbox"]
    value_h = (y1 - y0) * h
    band = slice(int(y0 * h - 4 * value_h), int(y0 * h - 0.6 * value_h))
    paper = np.median(img)
    img[band, : int(0.6 * w)] = paper  # over the first label
    ex0, ey0, ex1, ey1 = truth["declarations"][0]["value_boxes"]["email"]["bbox"]
    img[int(ey0 * h) - 3 : int(ey1 * h) + 3, int(ex0 * w) - 3 : int(ex1 * w) + 3] = paper

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", dpi=(page.dpi, page.dpi))
    decl = ocr.extract(img2pdf.convert(buf.getvalue())).declarations[0]
    assert decl.fields["email"].value is None  # left blank, not borrowed
    for name in ("organisation_number", "county", "signed_date", "signatory_name"):
        assert decl.fields[name].value == want[name], name


def test_number_failing_its_check_digit_is_flagged_not_given(dev_sample) -> None:
    """The form carries a mistyped organisation number (the check digit is wrong): the
    engine hands on no number, says a number failed its check, and keeps where it is."""
    data, truth = dev_sample(1, 24)
    assert truth["declarations"][0]["fields"]["organisation_number"] is None
    decl = ocr.extract(data).declarations[0]
    number = decl.fields["organisation_number"]
    assert number.value is None
    assert "invalid_orgnr" in decl.flags
    assert number.bbox is not None


@pytest.mark.parametrize(("seed", "index"), [(7, 0), (7, 13)])
def test_label_the_stacked_read_garbles_is_read_again(dev_sample, seed: int, index: int) -> None:
    """'Org nr:' read 'Odin' and 'Org.nr' read 'Organ' in the stacked read: the short
    runs in the labels' column are read again alone, and the number is found."""
    data, truth = dev_sample(seed, index)
    want = truth["declarations"][0]["fields"]["organisation_number"]
    decl = ocr.extract(data).declarations[0]
    assert decl.fields["organisation_number"].value == want


def test_signature_label_under_a_signature_run_into_it(dev_sample) -> None:
    """Label under the line, the signature's strokes run down through the rule into
    'Underskrift' (read 'Undelbkrift'): the label is still found, so the form is signed
    and the place is not that label."""
    data, truth = dev_sample(8, 20)
    want = truth["declarations"][0]
    decl = ocr.extract(data).declarations[0]
    assert decl.signature.present is want["signature"]["present"] is True
    assert decl.fields["place"].value == want["fields"]["place"]
