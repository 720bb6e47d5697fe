"""Hand-printed text values in handwriting *fonts*: Tesseract vs the second read (issue 13).

    python -m tests.bench.handtext --count 150 --seed 1 --split dev --tune   # dev: tuning
    python -m tests.bench.handtext --count 150 --seed 2 --split validation   # check

Real handwriting of letters is not available, so these crops are in the split's
handwriting fonts (``samples.split``: dev's Comic Neue, SteveHand, Purisa, Klee One;
validation's Comic Neue Light/Italic, Delphine, Yusei Magic), drawn at 26–40 px with a
little slant, blur and grey ink. Values per field (``--count`` of each):

- county: a county, bare or ``Norrbottens län``;
- place: a municipality (``ocr/lexicons/municipalities.txt``) or, one in five, a village
  no list holds (``samples.names.STEMS`` places), then a date as the form has it;
- title: a title of the list (``ocr/lexicons/titles.txt``) or, one in five, one it lacks;
- name: ``samples.names`` first and last names;
- organisation: the generator's organisations.

Each crop is read by Tesseract (PSM 7, the engine's parser and calibration: sure at
``SURE``) and again by ``ocr.handread`` (``_reads`` + ``decide``, the engine's code) with
the Tesseract value as the first reader's; scored right / sure / sure-and-wrong.
``--tune`` prints, per field, every wrong second value's confidence (what a bar must stay
above) and the right ones' share at each bar.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections import Counter
from dataclasses import replace

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr import handread
from ocr.confidence import SURE, Evidence, confidence
from ocr.handwriting import get_recogniser
from ocr.model import FieldValue
from ocr.tesseract import LANG, PSM_LINE, get_engine, words_text
from ocr.values.county import COUNTIES, parse_county
from ocr.values.lexicon import load
from ocr.values.parsed import Parsed
from ocr.values.text import clean_name, clean_organisation, clean_place, clean_title
from samples import names
from samples.split import SPLITS
from tests.bench.scoring import norm

FIELDS = ("county", "place", "signatory_title", "signatory_name", "organisation")
PARSE = {
    "county": parse_county,
    "place": clean_place,
    "signatory_title": clean_title,
    "signatory_name": clean_name,
    "organisation": clean_organisation,
}
UNLISTED_TITLES = (
    "Ekonomiansvarig",
    "Biträdande rektor",
    "Driftledare",
    "Hållbarhetssamordnare",
    "Kanslichef",
    "Teknisk chef",
    "Vice VD, ekonomichef",
)
VILLAGES = ("Råneå", "Sävast", "Kallax", "Hällnäs", "Lövånger", "Björkö", "Örnvik")


def _value(field: str, rng: random.Random) -> tuple[str, str]:
    """``(ink, truth)`` of one value."""
    if field == "county":
        c = rng.choice(COUNTIES if rng.random() < 0.3 else tuple(names.PLACES))
        ink = rng.choice((c, f"{c}s län", f"{c} län")) if not c.endswith("s") else c
        return ink, c
    if field == "place":
        if rng.random() < 0.2:
            place = rng.choice(VILLAGES)
        elif rng.random() < 0.5:
            place = rng.choice([p for ps in names.PLACES.values() for p in ps])
        else:
            place = rng.choice(load("municipalities"))
        day = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(700))
        date = rng.choice(
            (
                day.isoformat(),
                f"{day.day}/{day.month} {day.year}",
                f"den {day.day} {names.MONTHS[day.month - 1]} {day.year}",
            )
        )
        return f"{place}{rng.choice((' ', ', '))}{date}", place
    if field == "signatory_title":
        if rng.random() < 0.2:
            t = rng.choice(UNLISTED_TITLES)
        elif rng.random() < 0.6:
            t = rng.choice([t for ts in names.TITLES.values() for t in ts])
        else:
            t = rng.choice(load("titles"))
        return t, t
    if field == "signatory_name":
        n = f"{rng.choice(names.FIRST)} {rng.choice(names.LAST)}"
        return n, n
    if rng.random() < 0.4:
        o = rng.choice(names.SEED_ORGANISATIONS)[0]
    else:
        o = f"{rng.choice(names.STEMS)} {rng.choice(names.TRADES)} AB"
    return o, o


def _render(text: str, font_path: str, rng: random.Random) -> np.ndarray:
    px = rng.randint(26, 40)
    font = ImageFont.truetype(font_path, px)
    w = int(font.getlength(text)) + 30
    im = Image.new("L", (w, px + 26), 255)
    ImageDraw.Draw(im).text((14, 8), text, font=font, fill=rng.randint(10, 70))
    im = im.rotate(rng.uniform(-1.5, 1.5), resample=Image.BICUBIC, fillcolor=255, expand=False)
    arr = np.array(im)
    if rng.random() < 0.5:
        arr = cv2.GaussianBlur(arr, (3, 3), rng.uniform(0.3, 0.9))
    return arr


def _tesseract(field: str, crop: np.ndarray) -> FieldValue:
    words = get_engine().read_words(
        np.pad(crop, 12, constant_values=255), psm=PSM_LINE, dpi=200, lang=LANG
    )
    parsed: Parsed = PARSE[field](words_text(words))
    if not words or parsed.value is None:
        return FieldValue(None, 0.0, 1)
    ev = Evidence(
        field=field,
        word_conf=min(w.conf for w in words),
        valid=parsed.valid,
        certainty=parsed.certainty,
        label_score=1.0,
    )
    return FieldValue(parsed.value if parsed.valid else None, confidence(ev), 1)


def run(count: int, seed: int, split: str, *, tune: bool) -> dict[str, object]:
    fonts = SPLITS[split].hand_fonts
    rec = get_recogniser()
    setting = handread.SecondRead(enabled=True)
    constraints = handread._constraints(dt.date.today() + dt.timedelta(days=366))
    tally: dict[str, Counter[str]] = {f: Counter() for f in FIELDS}
    confs: dict[str, dict[str, list[float]]] = {f: {"right": [], "wrong": []} for f in FIELDS}
    agree_wrong: list[dict[str, object]] = []
    wrong: list[dict[str, object]] = []
    for field in FIELDS:
        for i in range(count):
            rng = random.Random(f"{seed}:{split}:{field}:{i}")
            ink, truth = _value(field, rng)
            crop = _render(ink, rng.choice(fonts), rng)
            tess = _tesseract(field, crop)
            t = tally[field]
            t["n"] += 1
            tess_ok = norm(tess.value) == norm(truth)
            t["tess_right"] += tess_ok
            t["tess_sure"] += tess.confidence >= SURE
            t["tess_silent"] += tess.confidence >= SURE and not tess_ok
            probs = rec.read(crop).probs
            reads = handread._reads(
                field, tess, probs, rec.characters, rec.index, constraints, setting
            )
            if handread.wanted(field, tess, setting) and reads is not None:
                verdict = handread.decide(reads, setting)
                given = (
                    tess
                    if verdict is None
                    else replace(tess, value=verdict.value, confidence=verdict.confidence)
                )
                if reads.second is not None:
                    key = "right" if norm(reads.second) == norm(truth) else "wrong"
                    confs[field][key].append(round(reads.confidence, 4))
            else:
                verdict, given = None, tess
            ok = norm(given.value) == norm(truth)
            sure = given.value is not None and given.confidence >= SURE
            t["right"] += ok
            t["sure"] += sure
            t["silent"] += sure and not ok
            record = {
                "i": i,
                "ink": ink,
                "truth": truth,
                "tesseract": tess.value,
                "tess_conf": round(tess.confidence, 3),
                "second": None if reads is None else reads.second,
                "conf": None if reads is None else round(reads.confidence, 4),
                "read": None if reads is None else reads.text,
                "given": given.value,
                "why": None if verdict is None else verdict.why.value,
                "sure": sure,
            }
            if not ok:
                wrong.append({"field": field, **record})
            if verdict is not None and verdict.why.value == "agree" and not ok:
                agree_wrong.append({"field": field, **record})
    out: dict[str, object] = {
        "seed": seed,
        "split": split,
        "fonts": [f.rsplit("/", 1)[-1] for f in fonts],
        "fields": {
            f: {
                "n": t["n"],
                "tesseract_right_pct": round(100 * t["tess_right"] / t["n"], 1),
                "tesseract_sure_pct": round(100 * t["tess_sure"] / t["n"], 1),
                "tesseract_silent": t["tess_silent"],
                "right_pct": round(100 * t["right"] / t["n"], 1),
                "sure_pct": round(100 * t["sure"] / t["n"], 1),
                "silent": t["silent"],
            }
            for f, t in tally.items()
        },
        "agreed_and_wrong": agree_wrong,
        "wrong": wrong,
    }
    if tune:
        out["tune"] = {
            f: {
                "wrong_second_confidences": sorted(c["wrong"], reverse=True)[:15],
                "right_share_at": {
                    str(b): round(sum(x >= b for x in c["right"]) / max(1, count), 3)
                    for b in (0.5, 0.9, 0.95, 0.99, 0.999)
                },
            }
            for f, c in confs.items()
        }
    return out


def _plain(o: object) -> object:
    item = getattr(o, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"{type(o).__name__} is not JSON")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=150, help="crops of each field")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    result = run(args.count, args.seed, args.split, tune=args.tune)
    text = json.dumps(result, indent=1, ensure_ascii=False, default=_plain)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
