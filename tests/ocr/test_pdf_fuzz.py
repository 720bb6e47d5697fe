"""The PDF reader under fuzzing: mutated real PDFs and hostile ones, each read in a child
process under a memory and a time limit (``tests.ocr.fuzzing``).

Every input must either give its pages' images or be refused with an
:class:`~ocr.errors.ExtractionError` and its reason: no other exception, no child
killed by a signal, no input past the time limit, no MemoryError under the address
space limit. Hypothesis draws the mutations (derandomized: the same inputs every run);
the longer run is ``python -m tests.bench.fuzz``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocr.errors import InvalidInput, LimitExceeded, Reason
from ocr.pdf import open_pdf
from tests.ocr import fuzzing as fz
from tests.ocr import pdf_factory as make

pytestmark = pytest.mark.timeout(300)

BATCH = 40  # inputs per hypothesis example, read two at a time
EXAMPLES = 60  # 2,400 mutated inputs
SEEDS = fz.corpus()
NAMES = sorted(SEEDS)
SEED_VALUES = [SEEDS[n] for n in NAMES]
SEEN: Counter[str] = Counter()  # outcomes of the mutated inputs, checked at the end

op = st.tuples(st.sampled_from(fz.OP_KINDS), st.integers(0, 2**30), st.integers(0, 2**16))
mutant = st.tuples(st.sampled_from(NAMES), st.lists(op, min_size=1, max_size=4))


@pytest.fixture(scope="module")
def readers() -> Iterator[fz.Readers]:
    # a hang is a hang at any limit: a minute per input here, not the bench's 20 s, so a
    # large legitimate input (500 pages) on a machine busy with other work is no "hang"
    with fz.Readers(2, time_limit=60.0) as r:
        yield r


def _failures(verdicts: list[fz.Verdict], labels: list[str]) -> list[str]:
    pairs = zip(labels, verdicts, strict=True)
    return [f"{label}: {v.kind} {v.detail}" for label, v in pairs if v.failed]


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(mutant, min_size=BATCH, max_size=BATCH))
def test_mutated_pdfs_are_read_or_refused_with_a_reason(
    readers: fz.Readers, batch: list[tuple[str, list[fz.Op]]]
) -> None:
    inputs = [fz.apply_ops(SEEDS[name], ops, SEED_VALUES) for name, ops in batch]
    verdicts = readers.read_many(inputs)
    assert not _failures(verdicts, [f"{name} {ops}" for name, ops in batch])
    for v in verdicts:
        assert v.kind in ("pages", "error")
        assert v.kind == "pages" or v.detail in {r.value for r in Reason}
        SEEN[v.kind if v.kind == "pages" else v.detail] += 1


def test_the_mutations_reached_both_sides() -> None:
    """The run above was not all refusals at the first byte: many inputs got as far
    as their pages, and the refusals have several reasons (runs after it)."""
    if not SEEN:
        pytest.skip("run together with test_mutated_pdfs_are_read_or_refused_with_a_reason")
    total = sum(SEEN.values())
    assert total == BATCH * EXAMPLES
    assert SEEN["pages"] > total // 10
    assert {"truncated", "not_pdf", "malformed", "too_many_pixels"} <= set(SEEN)


MB = 1 << 20
hostile_structure = st.one_of(
    st.integers(1, 200_000).map(fz.deep_array_pdf),
    st.integers(1, 20_000).map(fz.deep_dict_pdf),
    st.integers(1, 200_000).map(fz.deep_content_pdf),
    st.sampled_from([1 * MB, 63 * MB, 65 * MB, 128 * MB]).map(fz.flate_content_bomb_pdf),
    st.tuples(st.integers(1, 20_000), st.integers(1, 20_000)).map(
        lambda wh: fz.flate_image_bomb_pdf(wh[0], wh[1], 65 * MB)
    ),
    st.tuples(st.integers(1, 2**32 - 1), st.integers(1, 2**32 - 1)).map(
        lambda wh: make.image_bomb_pdf(*wh)
    ),
    st.tuples(st.integers(1, 65_535), st.integers(1, 65_535)).map(
        lambda wh: fz.jpeg_bomb_pdf(inner=wh)
    ),
    st.tuples(st.integers(0, 2**31), st.integers(0, 2**31)).map(lambda cr: fz.ccitt_bomb_pdf(*cr)),
    st.integers(1, 2**31).map(fz.png_predictor_bomb_pdf),
    st.tuples(st.integers(1, 100_000), st.integers(1, 100_000)).map(
        lambda wh: fz.inline_image_bomb_pdf(*wh)
    ),
    st.tuples(st.integers(1, 80), st.integers(1, 10)).map(lambda wd: fz.form_fanout_pdf(*wd)),
    st.integers(1, 500).map(fz.many_pages_pdf),
    st.sampled_from([fz.page_tree_loop_pdf(), fz.self_reference_pdf(), fz.form_loop_pdf()]),
)


@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # the failure shows
@settings(
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    batch=st.lists(st.tuples(hostile_structure, st.lists(op, max_size=2)), min_size=8, max_size=8)
)
def test_hostile_structures_of_any_size_are_read_or_refused_in_time(
    readers: fz.Readers, batch: list[tuple[bytes, list[fz.Op]]]
) -> None:
    """Deep nesting, loops, fan-out and bombs with drawn sizes, some of them damaged too."""
    inputs = [fz.apply_ops(data, ops, SEED_VALUES) for data, ops in batch]
    verdicts = readers.read_many(inputs)
    assert not _failures(verdicts, [f"{len(d)} bytes {ops}" for d, ops in batch])


# what each hand-made hostile PDF must come to: its reason, or pages
HOSTILE_EXPECTED = {
    "flate-content-bomb-1g": Reason.STREAM_TOO_LARGE,
    "object-stream-bomb-1g": Reason.STREAM_TOO_LARGE,
    "jpeg-bomb-65000": Reason.TOO_MANY_PIXELS,
    "jbig2-bomb": Reason.TOO_MANY_PIXELS,
    "ccitt-bomb": Reason.TOO_MANY_PIXELS,
    "png-predictor-bomb": Reason.TOO_MANY_PIXELS,
    "inline-image-bomb": Reason.TOO_MANY_PIXELS,
    "smask-bomb": Reason.TOO_MANY_PIXELS,
    "skewed-image": Reason.TOO_MANY_PIXELS,
    "image-bomb-declared": Reason.TOO_MANY_PIXELS,
    "many-pages-100k": Reason.TOO_MANY_PAGES,
}


def test_hostile_pdfs_are_refused_or_read_within_the_limits(readers: fz.Readers) -> None:
    hostile = fz.hostile()
    names = sorted(hostile)
    verdicts = readers.read_many([hostile[n] for n in names])
    assert not _failures(verdicts, names)
    got = dict(zip(names, verdicts, strict=True))
    for name, reason in HOSTILE_EXPECTED.items():
        assert (got[name].kind, got[name].detail) == ("error", reason.value), name
    # loops and deep nesting: read (the content draws a square) or refused, in time
    assert got["form-loop"].kind == "pages" and got["form-fanout-60x8"].kind == "pages"
    assert got["deep-content-100k"].kind == "pages"


def test_a_bomb_is_refused_by_open_pdf_before_anything_is_inflated() -> None:
    """The 1 GiB Flate content stream is refused after inflating at most the page's
    budget (64 MB), a fraction of a second; never drawn."""
    data = fz.flate_content_bomb_pdf()
    with pytest.raises(LimitExceeded) as err:
        open_pdf(data)
    assert err.value.reason is Reason.STREAM_TOO_LARGE
    assert "page 1" in str(err.value) and "decompression bomb" in str(err.value)


@pytest.mark.parametrize(
    "data, says",
    [
        (fz.jpeg_bomb_pdf(), "JPEG data declares 65000×65000"),
        (fz.jbig2_bomb_pdf(), "JBIG2 data declares 4294967280×2147483647"),
        (fz.ccitt_bomb_pdf(), "fax data declares 2000000000×2000000000"),
        (fz.png_predictor_bomb_pdf(), "predictor data declares 200000000×100"),
        (fz.inline_image_bomb_pdf(), "an inline image of 60000×60000"),
        (fz.smask_bomb_pdf(), "an image of 200000×200000"),
        (make.image_bomb_pdf(600, 800, cm=b"595 20000 0 842 0 0"), "25 times the page's area"),
        (
            make.image_bomb_pdf(600, 800, cm=b"1000000000 0 0 1000000000 0 0"),
            "times the page's area",
        ),
    ],
    ids=["jpeg", "jbig2", "ccitt", "png-predictor", "inline", "smask", "skewed", "huge-cm"],
)
def test_codec_headers_declaring_huge_images_are_refused(data: bytes, says: str) -> None:
    with pytest.raises(LimitExceeded) as err:
        open_pdf(data)
    assert err.value.reason is Reason.TOO_MANY_PIXELS
    assert says in str(err.value)


def test_a_legitimate_jpeg_within_the_limits_still_opens() -> None:
    """The JPEG header check reads the real frame size of a scanner's JPEG and lets it by."""
    doc = open_pdf(make.scan_pdf("jpeg"))
    assert doc.pages[0].images[0].width == 1654


@pytest.mark.parametrize(
    "cm",
    [
        b"595 0 0 842 0 0",
        b"0 842 -595 0 595 0",
        b"421 421 -421 421 297 0",
        b"893 0 0 1263 -149 -210",
    ],
)
def test_images_drawn_rotated_or_past_the_page_edges_still_open(cm: bytes) -> None:
    """The drawn-size check leaves a scan drawn upright, turned, at 45° or 1.5 times the
    page (its margins cut off) alone."""
    assert open_pdf(make.image_bomb_pdf(600, 800, cm=cm)).page_count == 1


FUZZ_CASES = sorted(fz.FUZZ_CASES.glob("*.pdf"))


# inputs the fuzzing found that crashed the reader, and what they come to now
FUZZ_EXPECTED = {
    # pypdf: NotImplementedError from the reader (an /Encrypt /Filter not /Standard)
    "unknown-security-handler": ("error", "encrypted"),
    # pypdf: AttributeError ('PdfReader' object has no attribute 'stream') in the xref
    "xref-object-without-stream": ("error", "truncated"),
    # pypdf: AttributeError ('NumberObject' object has no attribute 'items') in the xref
    "xref-trailer-not-a-dictionary": ("error", "truncated"),
    # pypdf: AssertionError parsing a damaged content stream (ocr.placement); now the
    # page is drawn by pdfium instead
    "content-stream-assertion": ("pages", ""),
    # pypdf: DeprecationError (not one of its PyPdfErrors) for an image filter named
    # /Fl, on the fast page path; now the page is drawn by pdfium
    "abbreviated-filter-name": ("pages", ""),
}


def test_every_regression_input_has_its_expectation() -> None:
    assert sorted(p.stem for p in FUZZ_CASES) == sorted(FUZZ_EXPECTED)


@pytest.mark.parametrize("path", FUZZ_CASES, ids=[p.stem for p in FUZZ_CASES])
def test_regression_inputs_found_by_fuzzing(path: Path, readers: fz.Readers) -> None:
    kind, detail, _pages = fz.read_all(path.read_bytes())  # here: a crash shows its trace
    assert (kind, detail) == FUZZ_EXPECTED[path.stem]
    [verdict] = readers.read_many([path.read_bytes()])
    assert (verdict.kind, verdict.detail) == FUZZ_EXPECTED[path.stem]


def test_an_unknown_security_handler_is_an_encrypted_error_not_a_crash() -> None:
    """Found by fuzzing: an /Encrypt dictionary whose /Filter is not /Standard made
    pypdf raise NotImplementedError from the reader itself."""
    data = (fz.FUZZ_CASES / "unknown-security-handler.pdf").read_bytes()
    with pytest.raises(InvalidInput) as err:
        open_pdf(data)
    assert err.value.reason is Reason.ENCRYPTED
    inline = re.sub(
        rb"trailer\s*<<",
        b"trailer << /Encrypt << /Filter /Adobe.PubSec /V 4 >>",
        fz.small_scan("flate"),
    )
    assert b"/Adobe.PubSec" in inline
    with pytest.raises(InvalidInput) as err:
        open_pdf(inline)
    assert err.value.reason is Reason.ENCRYPTED


def test_the_reader_catches_a_crash_a_hang_and_a_memory_blow_up() -> None:
    """The harness itself: each failure it is meant to catch is caught and named."""
    with fz.Reader(time_limit=2.0) as reader:
        import tests.ocr.fuzzing as module

        original = module.read_all
        try:
            module.read_all = lambda data, limits, dpi: _misbehave(data)  # type: ignore[assignment]
            assert reader.read(b"crash").kind == "crash"
            assert reader.read(b"hang").kind == "hang"
            assert reader.read(b"memory").kind == "memory"
            died = reader.read(b"die")
            assert died.kind == "died" and "-11" in died.detail
            assert reader.read(b"fine").kind == "pages"
        finally:
            module.read_all = original


def _misbehave(data: bytes) -> tuple[str, str, int]:
    import ctypes
    import os
    import signal
    import time

    if data == b"crash":
        raise KeyError("a bug")
    if data == b"hang":
        time.sleep(60)
    if data == b"memory":
        hoard = bytearray(2 * fz.MEMORY_LIMIT)
        return "pages", str(len(hoard)), 0
    if data == b"die":
        os.kill(os.getpid(), signal.SIGSEGV)
        ctypes.string_at(0)
    return "pages", "", 1
