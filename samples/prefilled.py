"""Join-online forms printed, signed and scanned, with their truth.

    plan_prefilled(index, seed) -> PrefilledPlan
    render_prefilled(plan, key=..., application_id=...) -> (pdf bytes, truth)

The personalised PDF is made as the web makes it (``api.join_form.form_pdf``, the code's
payload from ``registry.applications``), "printed" by rendering it at the scan's
resolution (pypdfium2), signed and dated by hand (the generator's signatures and hand
fonts), and "scanned" with the generator's scanner defects (``samples.scanner``: paper
tone, blur, skew, speckle, binarisation, JPEG, B/W G4, rotations 90/180/270, /Rotate).
Rotation and dpi are cycled by the index so any 16 consecutive samples hold every
rotation at every resolution.

The form is signed some days or weeks after its application was made (``applied_at``:
0-30 days before the signing date mostly, a few up to 57, within the application's 60
days) and its scan arrives a little after signing (``arrived_at``: 0-4 days). The date
is written by hand in one of the generator's hand fonts, or on a share of the forms
(:data:`MNIST_DATE_SHARE`) in real MNIST digits (``samples.handwriting``: only rows
mod 500 < 400), as a hand writes a date in digits (``date_hand``: ``font`` or ``mnist``).
These are drawn from their own random streams, so every other choice (and the
font-written forms' pixels) is what it was before they were added.

Some forms are changed on paper (``changed``: one typed value crossed out and another
written beside it by hand); some carry a forged code (``forged``):

- ``altered``: a value in the code changed, the HMAC left as it was;
- ``wrong_key``: a well-formed code signed under another key;
- ``unknown``: signed under the right key, for an application the registry never made
  (the caller leaves it out of the database).

CLI: ``python -m samples.prefilled --out DIR --count N --seed S`` writes ``NNNN.pdf``
and ``NNNN.json`` (key: ``--key``, default ``test-key``; the ids are made up).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import random
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from api.join_form import DrawnForm, FormValues, declaration_texts, draw_form, pdf_of
from registry.applications import (
    SEP,
    ApplicationValues,
    code_key,
    encode_payload,
    new_application_id,
)
from samples import values as v
from samples.canvas import Canvas
from samples.handwriting import Digits, compose, load_digits
from samples.pdfwrite import encode_page, write_pdf
from samples.plan import scanner_defects
from samples.scanner import COLOURS, ScanSpec, scan
from samples.signature import INKS, draw_signature
from samples.split import SPLITS

ROTATIONS = (0, 90, 180, 270)
DPIS = (200, 300, 400, 600)
FORGERIES = ("altered", "wrong_key", "unknown")
CHANGEABLE = ("organisation_number", "signatory_name", "signatory_title", "place")
MNIST_DATE_SHARE = 0.35  # forms whose date is written in real MNIST digits
LIFETIME = dt.timedelta(days=60)  # an application's (api.settings.application_days)


@dataclass(frozen=True, slots=True)
class PrefilledPlan:
    index: int
    seed: int
    declaration: str
    values: ApplicationValues
    signed_date: dt.date
    date_text: str
    scan: ScanSpec
    signature_font: str
    hand_font: str
    ink: str
    forged: str | None  # one of FORGERIES
    changed: str | None  # the field crossed out and rewritten
    new_value: str | None  # what was written instead
    applied_at: dt.datetime | None = None  # when its application was made (UTC)
    arrived_at: dt.datetime | None = None  # when the signed scan came in (UTC)
    date_hand: str = "font"  # the date written in a hand font, or in MNIST digits


def _values(rng: random.Random, declaration: str) -> ApplicationValues:
    org = v.make_organisation(rng, municipal_only=declaration == "cemr-charter")
    person = v.make_person(rng, org, with_email=rng.random() < 0.85)
    return ApplicationValues(
        organisation=org.name,
        organisation_number=org.orgnr,
        county=org.county,
        place=rng.choice(v.PLACES[org.county]),
        signatory_name=person.name,
        signatory_title=person.title if rng.random() < 0.9 else "",
        email=person.email or "",
    )


def _new_value(rng: random.Random, field: str, values: ApplicationValues) -> str:
    if field == "organisation_number":
        return v.make_orgnr(rng, "ab")
    if field == "signatory_name":
        org = v.Organisation(values.organisation, "ab", values.organisation_number, values.county)
        return v.make_person(rng, org, with_email=False).name
    if field == "signatory_title":
        return rng.choice(("Vd", "Ordförande", "Styrelseordförande", "Förvaltningschef"))
    places = [p for p in v.PLACES[values.county] if p != values.place]
    return rng.choice(places)


def plan_prefilled(
    index: int,
    seed: int,
    *,
    forged_share: float = 0.0,
    changed_share: float = 0.0,
    dpi: int | None = None,
) -> PrefilledPlan:
    """Every choice of sample ``index``; rotation and dpi cycle with the index."""
    rng = random.Random(f"prefilled:{seed}:{index}")
    declaration = "cemr-charter" if rng.random() < 0.25 else "jamstalld-industri"
    values = _values(rng, declaration)
    date = v.make_date(rng)
    rotation = ROTATIONS[index % 4]
    scan_dpi = dpi or DPIS[(index // 4) % 4]
    colour = COLOURS[(index // 16 + index) % len(COLOURS)]
    spec = scanner_defects(rng, dpi=scan_dpi, colour=colour, rotation=rotation)
    forged = rng.choice(FORGERIES) if rng.random() < forged_share else None
    changed = new = None
    if forged is None and rng.random() < changed_share:
        changed = rng.choice(CHANGEABLE)
        if changed == "signatory_title" and not values.signatory_title:
            changed = "signatory_name"
        new = _new_value(rng, changed, values)
    dev = SPLITS["dev"]
    plan = PrefilledPlan(
        index=index,
        seed=seed,
        declaration=declaration,
        values=values,
        signed_date=date,
        date_text=v.format_date(rng, date),
        scan=spec,
        signature_font=rng.choice(dev.signature_fonts),
        hand_font=rng.choice(dev.hand_fonts),
        ink=rng.choice(("blue", "blue", "dark-blue", "black")),
        forged=forged,
        changed=changed,
        new_value=new,
    )
    return _dated(plan)


def _dated(plan: PrefilledPlan) -> PrefilledPlan:
    """When the application was made and the scan arrived, and the hand the date is
    written in (their own random stream: the plan's other draws stay as they were)."""
    rng = random.Random(f"prefilled-dates:{plan.seed}:{plan.index}")
    r = rng.random()
    lead = (
        rng.randint(0, 30) if r < 0.8 else rng.randint(31, 50) if r < 0.95 else rng.randint(51, 57)
    )
    signed = dt.datetime.combine(plan.signed_date, dt.time(0), dt.UTC)
    applied = (
        signed - dt.timedelta(days=lead) + dt.timedelta(minutes=rng.randrange(6 * 60, 23 * 60))
    )
    arrived = signed + dt.timedelta(days=rng.randint(0, 4), minutes=rng.randrange(8 * 60, 20 * 60))
    arrived = max(arrived, applied + dt.timedelta(hours=1))
    arrived = min(arrived, applied + LIFETIME - dt.timedelta(hours=1))  # not yet expired
    mnist = rng.random() < MNIST_DATE_SHARE
    date_text = v.format_date(rng, plan.signed_date, month_names=False) if mnist else plan.date_text
    return replace(
        plan,
        applied_at=applied,
        arrived_at=arrived,
        date_hand="mnist" if mnist else "font",
        date_text=date_text,
    )


@functools.cache
def _digits() -> Digits:
    """The allowed MNIST digits (rows mod 500 < 400), loaded once per process."""
    return load_digits()


def _mnist_written(
    canvas: Canvas, x_mm: float, baseline_mm: float, text: str, pt: float, ink: str, seed: str
) -> tuple[int, int, int, int]:
    """``text`` (digits, ``-``, ``/``, ``.``, spaces) written in real MNIST digits, its
    foot on the baseline, about as tall as the hand font's digits of ``pt``."""
    rng = random.Random(seed)
    digit_px = canvas.px(pt * 25.4 / 72 * 0.72)  # a digit is about 0.72 of the em
    hand = compose(_digits(), text, rng, height=max(12, round(digit_px * rng.uniform(1.0, 1.3))))
    margin = hand.shape[0] // 4  # compose leaves half a digit of paper around the ink
    hand = hand[margin : hand.shape[0] - margin, margin // 2 : hand.shape[1] - margin // 2]
    page = np.asarray(canvas.image).copy()
    x0 = canvas.px(x_mm)
    top = max(0, canvas.px(baseline_mm) - hand.shape[0] + margin // 2 + rng.randint(-2, 2))
    hh = min(hand.shape[0], page.shape[0] - top)
    ww = min(hand.shape[1], page.shape[1] - x0)
    alpha = (255 - hand[:hh, :ww].astype(np.float32)) / 255.0
    region = page[top : top + hh, x0 : x0 + ww].astype(np.float32)
    colour = canvas.ink(INKS[ink])
    if page.ndim == 3:
        c = np.array(colour, np.float32)[np.newaxis, np.newaxis, :]
        region = region * (1 - alpha[..., None]) + c * alpha[..., None]
    else:
        region = region * (1 - alpha) + float(np.mean(colour)) * alpha
    page[top : top + hh, x0 : x0 + ww] = np.clip(region, 0, 255).astype(np.uint8)
    canvas.image.paste(Image.fromarray(page, mode=canvas.image.mode))
    return (x0, top, x0 + ww, top + hh)


def forged_payload(plan: PrefilledPlan, key: bytes, application_id: str) -> bytes:
    """The code a forger would print (see the module's description)."""
    if plan.forged == "wrong_key":
        return encode_payload(code_key(b"someone else's secret"), application_id, plan.values)
    if plan.forged == "unknown":
        return encode_payload(key, application_id, plan.values)
    # altered: a value changed after signing, the MAC kept
    real = encode_payload(key, application_id, plan.values)
    parts = real.split(SEP)
    rng = random.Random(f"forge:{plan.seed}:{plan.index}")
    other = replace(plan.values, organisation_number=v.make_orgnr(rng, "ab"))
    altered = encode_payload(key, application_id, other).split(SEP)
    return SEP.join([*altered[:-1], parts[-1]])


def payload_for(plan: PrefilledPlan, key: bytes, application_id: str) -> bytes:
    if plan.forged:
        return forged_payload(plan, key, application_id)
    return encode_payload(key, application_id, plan.values)


def _printed(pdf: bytes, dpi: int, colour: bool) -> Image.Image:
    """The PDF as it comes out of a printer, at the scanner's resolution."""
    doc = pdfium.PdfDocument(pdf)
    try:
        bitmap = doc[0].render(scale=dpi / 72, grayscale=not colour)
        image = bitmap.to_pil()
    finally:
        doc.close()
    return image.convert("RGB" if colour else "L")


def _cross_out(
    canvas: Canvas, plan: PrefilledPlan, drawn: DrawnForm, rng: random.Random
) -> dict[str, Any] | None:
    """Strike the typed value through and write the new one beside it by hand."""
    field, new = plan.changed, plan.new_value
    if field is None or new is None or field not in drawn.value_boxes:
        return None
    x0, y0, x1, y1 = drawn.value_boxes[field]
    ink = canvas.ink(INKS[plan.ink])
    mid = (y0 + y1) / 2
    width = max(1, round(canvas.dpi / 100))
    for dy in (-0.4, 0.4):
        canvas.draw.line(
            (canvas.px(x0 - 1), canvas.px(mid + dy), canvas.px(x1 + 1), canvas.px(mid + dy)),
            fill=ink,
            width=width,
        )
    box = canvas.handwritten(x1 + 4, y1, new, plan.hand_font, drawn.value_pt, INKS[plan.ink])
    return {"field": field, "new_value": new, "box_px": list(box) if box else None}


def render_prefilled(
    plan: PrefilledPlan, *, key: bytes, application_id: str
) -> tuple[bytes, dict[str, Any]]:
    """The scanned PDF and its truth."""
    text = declaration_texts()[plan.declaration]
    payload = payload_for(plan, key, application_id)
    form_values = FormValues(**plan.values.as_dict())
    # the page as the web draws it, and where its parts are (millimetres)
    drawn = draw_form(text, form_values, payload, application_id=application_id)
    return sign_and_scan(pdf_of(drawn, title=text.title), drawn, plan, application_id)


def sign_and_scan(
    pdf: bytes, drawn: DrawnForm, plan: PrefilledPlan, application_id: str
) -> tuple[bytes, dict[str, Any]]:
    """A personalised form's PDF (``drawn`` its geometry) printed, dated and signed by
    hand (changed on paper where the plan says so), and scanned as ``plan.scan``."""
    dpi = plan.scan.dpi
    colour = plan.scan.colour == "colour-jpeg"
    image = _printed(pdf, dpi, colour)
    canvas = Canvas(dpi=dpi, image=image, draw=ImageDraw.Draw(image))
    rng = random.Random(f"sign:{plan.seed}:{plan.index}")
    sx0, sy0, sx1, sy1 = drawn.signature_area
    area = (canvas.px(sx0), canvas.px(sy0), canvas.px(sx1), canvas.px(sy1))
    signed = draw_signature(
        canvas,
        rng,
        name=plan.values.signatory_name,
        font_path=plan.signature_font,
        area=area,
        ink=plan.ink,
    )
    dx, baseline = drawn.date_at
    if plan.date_hand == "mnist":
        seed = f"prefilled-mnist:{plan.seed}:{plan.index}"
        _mnist_written(canvas, dx, baseline, plan.date_text, drawn.value_pt * 1.1, plan.ink, seed)
    else:
        canvas.handwritten(
            dx, baseline, plan.date_text, plan.hand_font, drawn.value_pt * 1.1, INKS[plan.ink]
        )
    crossed = _cross_out(canvas, plan, drawn, rng)
    nrng = np.random.default_rng([plan.seed, plan.index, 7])
    scanned = scan(canvas.image, plan.scan, nrng)
    encoded = encode_page(scanned, plan.scan)
    rotate = [(360 - plan.scan.rotation) % 360 if plan.scan.pdf_rotate else 0]
    out = write_pdf([encoded], pdf_rotate=rotate)
    w, h = canvas.image.size
    truth: dict[str, Any] = {
        "application_id": application_id,
        "declaration": plan.declaration,
        "values": plan.values.as_dict(),
        "signed_date": plan.signed_date.isoformat(),
        "date_text": plan.date_text,
        "date_hand": plan.date_hand,
        "applied_at": plan.applied_at.isoformat() if plan.applied_at else None,
        "arrived_at": plan.arrived_at.isoformat() if plan.arrived_at else None,
        "forged": plan.forged,
        "changed": crossed,
        "expect": "not_verified" if plan.forged else "verified",
        "signature_box": [
            round(signed.box[0] / w, 4),
            round(signed.box[1] / h, 4),
            round(signed.box[2] / w, 4),
            round(signed.box[3] / h, 4),
        ],
        "code_box": [
            round(c / (210.0 if i % 2 == 0 else 297.0), 4) for i, c in enumerate(drawn.code_box)
        ],
        "variant": plan.scan.as_truth(),
    }
    return out, truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m samples.prefilled", description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--key", default="test-key")
    parser.add_argument("--forged", type=float, default=0.1)
    parser.add_argument("--changed", type=float, default=0.1)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    key = code_key(args.key.encode())
    for i in range(args.count):
        plan = plan_prefilled(i, args.seed, forged_share=args.forged, changed_share=args.changed)
        pdf, truth = render_prefilled(plan, key=key, application_id=new_application_id())
        (args.out / f"{i:04d}.pdf").write_bytes(pdf)
        (args.out / f"{i:04d}.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    print(f"wrote {args.count} pre-filled scans to {args.out}")


if __name__ == "__main__":
    main()
