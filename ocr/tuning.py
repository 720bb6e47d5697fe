"""The engine's thresholds, named, in one frozen value passed in like :class:`~ocr.limits.Limits`.

Lengths are in text heights (``th``: the height of the page's label letters, as
:mod:`ocr.layout` measures it) unless a name says otherwise (``_mm``, ``_in``, a share
``_frac`` of something named). One idea is one number: "the same column" is
:attr:`SignatureTuning.same_column` wherever the signature's steps ask it.

The fitted, calibrated verdicts (:mod:`ocr.signature_model`) take their inputs from
these measurements: a changed number here changes the features, so the model is fitted
again (``python -m tests.bench.fit_signature ... --write``, see tests/bench/SIGNATURE.md).

Only the signing region's steps (:mod:`ocr.signature`) and the struck-through value
(:mod:`ocr.strike`) read theirs from here so far; the value steps (:mod:`ocr.block`,
:mod:`ocr.fields`) still hold their own (issue 13).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SignatureTuning:
    """Where the signing region is, and what in it is a pen's ink (:mod:`ocr.signature`)."""

    # the region
    reach: float = 4.5  # how far it extends from the label
    reach_of_row: float = 1.5  # ... or this many of the form's value reaches (large row pitch)
    next_label_reach: float = 4.0  # value reaches: a next label this near bounds a tall row
    margin_left: float = 1.0  # the region starts this far left of a label above/below it
    gap_right: float = 0.3  # right of its label: this far from the label's end
    up_right: float = 3.5  # right of its label: this far above the label's top
    down_right: float = 2.0  # ... and at least this far below its bottom
    down_right_less: float = 2.5  # ... or the reach less this
    same_column: float = 3.0  # labels whose left edges are this near share a column
    label_overlap_frac: float = 0.3  # of a label's height: a label on the region's own row
    rise: float = 0.5  # handwriting beside the next label rises this far above its top
    fence_min: float = 1.5  # a fenced region lower than this was fenced by a misread
    # what is ink
    paper_percentile: float = 75.0  # the paper's grey: this percentile of the crop
    ink_below_paper: float = 35.0  # grey levels under the paper, at least ...
    ink_below_paper_frac: float = 0.25  # ... or this share of the paper's grey
    rule_in: float = 0.4  # inches: a straight run this long is a rule, not a stroke
    border_frac: float = 0.8  # of the region's height: a vertical run this tall is a border
    blob_mm: float = 2.0  # ink farther than this from paper on every side is no pen stroke
    blank_pad: float = 0.2  # labels and values blanked this much beyond their boxes
    label_cross_margin: float = 1.5  # around the label: where ink running out of it is seen
    occupied_frac: float = 0.4  # of a value's height: another row's value reaching this far in
    # a thin signature broken into specks
    trail_pieces: int = 8  # specks in a stretch ...
    trail_half_w: float = 2.0  # ... this far either side ...
    trail_half_h: float = 0.5  # ... and this far above and below
    # the earlier rule's verdict, kept as one of the model's features
    rule_area: float = 0.2
    rule_span: float = 1.2
    # no signature label read: the block's ink
    block_margin_x: float = 1.0
    block_margin_y: float = 3.0
    unlabelled_h: float = 2.0  # ink this tall where no value is, in the block
    unlabelled_join: float = 1.5  # runs this near on one line are one signature
    # no label and no block: nothing to measure, an abstention a reviewer settles
    no_label_confidence: float = 0.3


@dataclass(frozen=True, slots=True)
class StrikeTuning:
    """A value struck through on paper (:mod:`ocr.strike`)."""

    # a run of ink this long through a value's middle, from its start (print's longest
    # are under one: measured on the code bench's unchanged forms)
    stroke_min: float = 1.8
    band: tuple[float, float] = (0.2, 0.85)  # the rows looked at: of the value box's height
    start: float = 1.0  # the stroke begins within this of the value's left edge
    full_rows_frac: float = 0.7  # more of the band's rows with a long run: a block of ink
    bridge: float = 0.06  # gaps in a stroke this short are bridged (JPEG, B/W)


@dataclass(frozen=True, slots=True)
class Tuning:
    signature: SignatureTuning = field(default_factory=SignatureTuning)
    strike: StrikeTuning = field(default_factory=StrikeTuning)


DEFAULT_TUNING = Tuning()
